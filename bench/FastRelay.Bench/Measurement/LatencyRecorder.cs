using System.Diagnostics;
using HdrHistogram;

namespace FastRelay.Bench.Measurement;

/// <summary>
/// Records round-trip times in nanoseconds into a concurrent HdrHistogram, so many session loops can record at
/// once without a lock (the histogram uses atomic increments and allocates nothing per record).
/// </summary>
/// <remarks>Thread-safe for <see cref="Record"/>; call <see cref="Summarize"/> after recording has stopped.</remarks>
internal sealed class LatencyRecorder
{
    // 60 s covers any sane round trip; longer samples are clamped rather than thrown away, so they still count.
    private const long HighestNanos = 60_000_000_000;
    private const double CdfStep = 1.01;
    private static readonly double NanosPerTick = 1e9 / Stopwatch.Frequency;

    private readonly LongConcurrentHistogram _histogram = new(1, HighestNanos, 3);

    /// <summary>Records the time between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public void Record(long startTimestamp, long endTimestamp)
    {
        var nanos = (long)((endTimestamp - startTimestamp) * NanosPerTick);
        _histogram.RecordValue(Math.Clamp(nanos, 1, HighestNanos));
    }

    /// <summary>Samples recorded so far.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>The distribution in microseconds, or null when nothing was recorded.</summary>
    public LatencySummary? Summarize()
    {
        var total = _histogram.TotalCount;
        if (total == 0)
        {
            return null;
        }

        return new LatencySummary
        {
            Count = total,
            MeanMicros = _histogram.GetMean() / 1000,
            StdDevMicros = _histogram.GetStdDeviation() / 1000,
            MinMicros = _histogram.GetValueAtPercentile(0) / 1000.0,
            P50Micros = _histogram.GetValueAtPercentile(50) / 1000.0,
            P90Micros = _histogram.GetValueAtPercentile(90) / 1000.0,
            P99Micros = _histogram.GetValueAtPercentile(99) / 1000.0,
            P999Micros = _histogram.GetValueAtPercentile(99.9) / 1000.0,
            MaxMicros = _histogram.GetMaxValue() / 1000.0,
            Cdf = BuildCdf(total),
        };
    }

    private List<CdfPoint> BuildCdf(long total)
    {
        // Keep a point whenever latency grew by 1 %: evenly spaced on the log axis, about 230 points per decade
        // whatever the sample count. Values in between move the last point up (and the final one also right,
        // so the curve ends exactly at the max).
        var points = new List<CdfPoint>();
        foreach (var step in _histogram.RecordedValues())
        {
            var micros = step.ValueIteratedTo / 1000.0;
            var percentile = 100.0 * step.TotalCountToThisValue / total;
            if (points.Count == 0 || micros >= points[^1].Micros * CdfStep)
            {
                points.Add(new CdfPoint(micros, percentile));
            }
            else
            {
                var isLast = step.TotalCountToThisValue == total;
                points[^1] = new CdfPoint(isLast ? micros : points[^1].Micros, percentile);
            }
        }

        return points;
    }
}
