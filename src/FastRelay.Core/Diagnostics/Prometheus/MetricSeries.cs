namespace FastRelay.Diagnostics.Prometheus;

/// <summary>
/// One labelled time series of an instrument: a value (counters, gauges) or bucket counts with a sum and a
/// count (histograms). Updated lock-free by recorders; read by the scrape. Thread-safe.
/// </summary>
internal sealed class MetricSeries
{
    private readonly double[]? _bounds;
    private readonly long[]? _buckets;
    private long _value;
    private long _sumBits;
    private long _count;

    /// <summary>Creates a series labelled with <paramref name="tags"/> (copied: the span is the recorder's).</summary>
    public MetricSeries(ReadOnlySpan<KeyValuePair<string, object?>> tags, double[]? histogramBounds)
    {
        var labels = new KeyValuePair<string, string>[Math.Min(tags.Length, TagKey.MaxTags)];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = new(tags[i].Key, tags[i].Value?.ToString() ?? "");
        }

        Labels = labels;
        SortKey = string.Join('\u0001', labels.Select(l => l.Value));
        _bounds = histogramBounds;
        _buckets = histogramBounds is null ? null : new long[histogramBounds.Length + 1];
    }

    /// <summary>The labels, in recording order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }

    /// <summary>Orders series in the output (by label values), so every scrape lists them the same way.</summary>
    public string SortKey { get; }

    /// <summary>A counter's or gauge's value.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>A double gauge's value (stored as bits).</summary>
    public double DoubleValue => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _value));

    /// <summary>A histogram's number of observations.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>A histogram's sum of observations.</summary>
    public double Sum => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _sumBits));

    /// <summary>The histogram's upper bounds (without +Inf).</summary>
    public IReadOnlyList<double> Bounds => _bounds ?? [];

    /// <summary>Observations in bucket <paramref name="index"/> alone (not cumulative); the last is +Inf.</summary>
    public long BucketCount(int index) => Interlocked.Read(ref _buckets![index]);

    public void Add(long delta) => Interlocked.Add(ref _value, delta);

    public void Set(long value) => Interlocked.Exchange(ref _value, value);

    public void Set(double value) => Interlocked.Exchange(ref _value, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Counts <paramref name="value"/> in its bucket (le: the first bound it does not exceed).</summary>
    public void Observe(double value)
    {
        var bounds = _bounds!;
        var index = 0;
        while (index < bounds.Length && value > bounds[index])
        {
            index++;
        }

        Interlocked.Increment(ref _buckets![index]);
        Interlocked.Increment(ref _count);

        // A double sum without a lock: compare-and-swap on its bits (retries only under contention).
        long seen, next;
        do
        {
            seen = Interlocked.Read(ref _sumBits);
            next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + value);
        }
        while (Interlocked.CompareExchange(ref _sumBits, next, seen) != seen);
    }
}
