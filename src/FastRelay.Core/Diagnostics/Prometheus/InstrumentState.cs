using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace FastRelay.Diagnostics.Prometheus;

/// <summary>How an instrument's measurements aggregate and how Prometheus types it.</summary>
internal enum InstrumentKind
{
    /// <summary>Counter: measurements are added; TYPE counter.</summary>
    Counter,

    /// <summary>UpDownCounter: measurements are added; TYPE gauge.</summary>
    Sum,

    /// <summary>Observable instruments: each scrape's measurement replaces the value; TYPE gauge.</summary>
    LastValue,

    /// <summary>Histogram: bucket counts, sum and count; TYPE histogram.</summary>
    Histogram,

    /// <summary>ObservableCounter: each scrape's cumulative measurement replaces the value; TYPE counter.</summary>
    ObservedCounter,
}

/// <summary>
/// One instrument as the exporter aggregates it: its Prometheus name and type and its series by tag
/// values. Recording looks a series up without allocating; a new tag combination allocates its series once.
/// </summary>
internal sealed class InstrumentState
{
    private readonly ConcurrentDictionary<TagKey, MetricSeries> _series = new();
    private readonly double[]? _bounds;

    public InstrumentState(Instrument instrument, InstrumentKind kind)
    {
        Kind = kind;
        Name = PrometheusText.MetricName(instrument.Name, instrument.Unit, kind is InstrumentKind.Counter or InstrumentKind.ObservedCounter);
        Help = PrometheusText.EscapeHelp(instrument.Description ?? instrument.Name);
        _bounds = kind == InstrumentKind.Histogram
            ? ((instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray() ?? RelayMetrics.LatencyBuckets)
            : null;
    }

    public InstrumentKind Kind { get; }

    /// <summary>The Prometheus metric name.</summary>
    public string Name { get; }

    public string Help { get; }

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (Kind is InstrumentKind.LastValue or InstrumentKind.ObservedCounter)
        {
            series.Set(value);
        }
        else if (Kind == InstrumentKind.Histogram)
        {
            series.Observe(value);
        }
        else
        {
            series.Add(value);
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (Kind == InstrumentKind.Histogram)
        {
            series.Observe(value);
        }
        else
        {
            // Double gauges only (certificate expiry); double counters are not used by FastRelay.
            series.Set(value);
        }
    }

    /// <summary>Forgets every series (observable instruments, before each scrape: a gone gateway's series goes too).</summary>
    public void Clear() => _series.Clear();

    /// <summary>Writes HELP, TYPE and every series, in label order; nothing when there is no series.</summary>
    public void WriteTo(StringBuilder output, bool doubleValues)
    {
        var series = _series.Values.OrderBy(s => s.SortKey, StringComparer.Ordinal).ToList();
        if (series.Count == 0)
        {
            return;
        }

        var type = Kind switch { InstrumentKind.Counter or InstrumentKind.ObservedCounter => "counter", InstrumentKind.Histogram => "histogram", _ => "gauge" };
        output.Append("# HELP ").Append(Name).Append(' ').Append(Help).Append('\n');
        output.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
        foreach (var s in series)
        {
            if (Kind == InstrumentKind.Histogram)
            {
                WriteHistogram(output, s);
                continue;
            }

            output.Append(Name);
            PrometheusText.AppendLabels(output, s.Labels);
            output.Append(' ').Append(doubleValues ? PrometheusText.Number(s.DoubleValue) : s.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private void WriteHistogram(StringBuilder output, MetricSeries s)
    {
        // Buckets are cumulative in the format; the series keeps them apart so recording is one increment.
        long cumulative = 0;
        for (var i = 0; i <= s.Bounds.Count; i++)
        {
            cumulative += s.BucketCount(i);
            output.Append(Name).Append("_bucket");
            PrometheusText.AppendLabels(output, s.Labels, i < s.Bounds.Count ? PrometheusText.Number(s.Bounds[i]) : "+Inf");
            output.Append(' ').Append(cumulative).Append('\n');
        }

        output.Append(Name).Append("_sum");
        PrometheusText.AppendLabels(output, s.Labels);
        output.Append(' ').Append(PrometheusText.Number(s.Sum)).Append('\n');
        output.Append(Name).Append("_count");
        PrometheusText.AppendLabels(output, s.Labels);
        output.Append(' ').Append(cumulative).Append('\n');
    }

    private MetricSeries Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = new TagKey(tags);
        if (_series.TryGetValue(key, out var series))
        {
            return series;
        }

        // First time for these tag values: the only allocation a series ever costs.
        var created = new MetricSeries(tags, _bounds);
        return _series.GetOrAdd(key, created);
    }
}
