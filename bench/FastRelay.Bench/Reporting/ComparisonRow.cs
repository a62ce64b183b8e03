namespace FastRelay.Bench.Reporting;

/// <summary>How a metric's relay value compares with its direct value.</summary>
internal enum Comparison
{
    /// <summary>A rate: the table shows relay/direct (1.00x = no cost).</summary>
    Ratio,

    /// <summary>A latency: the table shows the microseconds the relay adds, and the ratio.</summary>
    AddedMicros,

    /// <summary>Context only (CPU use, allocations): no comparison is shown.</summary>
    None,
}

/// <summary>One line of the comparison table and of <c>comparisons</c> in report.json.</summary>
internal sealed record ComparisonRow(string Phase, string Metric, string Unit, double? Direct, double? Relay, Comparison Comparison)
{
    /// <summary>relay / direct, when both exist and direct is positive.</summary>
    public double? Ratio => Comparison != Comparison.None && Direct is > 0 && Relay is { } relay ? relay / Direct.Value : null;

    /// <summary>relay - direct in microseconds, for latency rows.</summary>
    public double? AddedMicros => Comparison == Comparison.AddedMicros && Direct is { } d && Relay is { } r ? r - d : null;
}
