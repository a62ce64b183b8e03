using System.Diagnostics.Metrics;
using System.Text;

namespace FastRelay.Diagnostics.Prometheus;

/// <summary>
/// Aggregates the measurements of one <see cref="Meter"/> in process (a <see cref="MeterListener"/> into
/// lock-free series) and renders them in the Prometheus text format on demand.
/// </summary>
/// <remarks>
/// Recording is lock-free and allocation-free once a series exists. <see cref="Scrape"/> is serialized
/// (observable instruments are read during it) and deterministic: instruments by name, series by label
/// values, histogram buckets in order. Only the given meter instance is listened to, so two relays in one
/// process (tests) keep their numbers apart.
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(InstrumentState State, bool Doubles)> _instruments = [];
    private readonly Lock _scraping = new();

    /// <summary>Starts listening to every instrument of <paramref name="meter"/>, present and future.</summary>
    public PrometheusExporter(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter) || KindOf(instrument) is not { } kind)
            {
                return;
            }

            var state = new InstrumentState(instrument, kind);
            lock (_scraping)
            {
                _instruments.Add((state, instrument is ObservableGauge<double>));
                _instruments.Sort((a, b) => string.CompareOrdinal(a.State.Name, b.State.Name));
            }

            listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Renders every series now, in the text format 0.0.4 (UTF-8 text, lines ending in \n).</summary>
    public string Scrape()
    {
        lock (_scraping)
        {
            foreach (var (state, _) in _instruments)
            {
                if (state.Kind is InstrumentKind.LastValue or InstrumentKind.ObservedCounter)
                {
                    state.Clear();
                }
            }

            _listener.RecordObservableInstruments();
            var output = new StringBuilder(8192);
            foreach (var (state, doubles) in _instruments)
            {
                state.WriteTo(output, doubles);
            }

            return output.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static InstrumentKind? KindOf(Instrument instrument) => instrument switch
    {
        Counter<long> => InstrumentKind.Counter,
        UpDownCounter<long> => InstrumentKind.Sum,
        Histogram<double> => InstrumentKind.Histogram,
        ObservableUpDownCounter<long> or ObservableGauge<long> or ObservableGauge<double> => InstrumentKind.LastValue,
        ObservableCounter<long> => InstrumentKind.ObservedCounter,
        _ => null, // Not an instrument type FastRelay creates.
    };
}
