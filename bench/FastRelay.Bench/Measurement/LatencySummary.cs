namespace FastRelay.Bench.Measurement;

/// <summary>One point of a latency CDF: <see cref="Percentile"/> % of samples took at most <see cref="Micros"/>.</summary>
internal sealed record CdfPoint(double Micros, double Percentile);

/// <summary>
/// A latency distribution in microseconds, read from an HdrHistogram with 3 significant digits (so every
/// value is within 0.1 % of what was measured).
/// </summary>
internal sealed record LatencySummary
{
    /// <summary>Samples recorded.</summary>
    public required long Count { get; init; }

    public required double MeanMicros { get; init; }

    public required double StdDevMicros { get; init; }

    public required double MinMicros { get; init; }

    public required double P50Micros { get; init; }

    public required double P90Micros { get; init; }

    public required double P99Micros { get; init; }

    public required double P999Micros { get; init; }

    public required double MaxMicros { get; init; }

    /// <summary>The CDF, thinned to about one point per 1 % step in latency, for the SVG chart.</summary>
    public required IReadOnlyList<CdfPoint> Cdf { get; init; }
}
