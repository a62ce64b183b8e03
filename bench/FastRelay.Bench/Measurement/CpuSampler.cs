using System.Diagnostics;

namespace FastRelay.Bench.Measurement;

/// <summary>CPU time of this process and of the relay process at one instant.</summary>
internal readonly record struct CpuSample(long Timestamp, TimeSpan Harness, TimeSpan? Relay);

/// <summary>
/// Reads CPU time of the harness and of the spawned relay, so a report shows who was busy during a measured
/// window: on two shared cores a saturated client makes a relay look slower than it is.
/// </summary>
/// <remarks>Not thread-safe; the phase that owns the window takes both samples.</remarks>
internal sealed class CpuSampler(Process? relay)
{
    /// <summary>Reads the counters now. A relay that has exited reports null.</summary>
    public CpuSample Take()
    {
        TimeSpan? relayTime = null;
        if (relay is not null)
        {
            try
            {
                relay.Refresh();
                relayTime = relay.TotalProcessorTime;
            }
            catch (InvalidOperationException)
            {
                // The relay exited; the phase will fail on its own sockets, and CPU is just not reported.
            }
        }

        return new CpuSample(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, relayTime);
    }

    /// <summary>Percent of one core used by the harness and the relay between two samples.</summary>
    public static (double Harness, double? Relay) PercentBetween(CpuSample start, CpuSample end)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        if (wall <= 0)
        {
            return (0, null);
        }

        var harness = 100 * (end.Harness - start.Harness).TotalSeconds / wall;
        double? relayPercent = start.Relay is { } a && end.Relay is { } b ? 100 * (b - a).TotalSeconds / wall : null;
        return (harness, relayPercent);
    }
}
