using System.Diagnostics;

namespace FastRelay.Bench.Measurement;

/// <summary>CPU time of this process and of the relay process at one instant.</summary>
internal readonly record struct CpuSample(long Timestamp, TimeSpan Harness, TimeSpan? Relay, TimeSpan? Backends);

/// <summary>
/// Reads CPU time of the harness, the backend processes and the spawned relay, so a report shows who was busy
/// during a measured window: on two shared cores a saturated client makes a relay look slower than it is.
/// </summary>
/// <remarks>Not thread-safe; the phase that owns the window takes both samples.</remarks>
internal sealed class CpuSampler(Process? relay, IReadOnlyList<Process> backends)
{
    /// <summary>Reads the counters now. A process that has exited makes its figure null.</summary>
    public CpuSample Take()
    {
        var relayTime = relay is null ? null : Read(relay);
        TimeSpan? backendTime = backends.Count == 0 ? null : TimeSpan.Zero;
        foreach (var backend in backends)
        {
            backendTime += Read(backend);
        }

        return new CpuSample(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, relayTime, backendTime);
    }

    private static TimeSpan? Read(Process process)
    {
        try
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
        catch (InvalidOperationException)
        {
            return null; // It exited; the phase fails on its own sockets, and CPU is just not reported.
        }
    }

    /// <summary>Percent of one core used by the harness, the relay and the backends between two samples.</summary>
    public static (double Harness, double? Relay, double? Backends) PercentBetween(CpuSample start, CpuSample end)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        if (wall <= 0)
        {
            return (0, null, null);
        }

        double? Percent(TimeSpan? a, TimeSpan? b) => a is { } x && b is { } y ? 100 * (y - x).TotalSeconds / wall : null;
        return (100 * (end.Harness - start.Harness).TotalSeconds / wall, Percent(start.Relay, end.Relay), Percent(start.Backends, end.Backends));
    }
}
