using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Filtering;
using FastRelay.Observing;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: <see cref="MetricsObserver.OnEvent"/>, called on every connection's flow for each decision
/// and close, recording into <see cref="RelayMetrics"/> with the Prometheus exporter listening (as
/// <c>fastrelay edge</c> runs by default). One operation is one connection's life as the metrics see it:
/// Inbound allow (accept + decision), Outbound allow (decision + dial-time histogram) and Close (reason,
/// bytes both ways, session histogram): 3 events, 8 instrument recordings. Baseline: the same events into
/// an observer that does nothing, the cost of building and passing them. Must be 0 B. The scrape is
/// measured too (it allocates its text; it runs once per scrape interval, not per connection).
/// </summary>
[MemoryDiagnoser]
public class MetricsObserverBench
{
    private const int Operations = 1024;
    private const string Policy = """
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "10.0.0.0/8", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "10.1.0.0/16", "Action": "Allow"}]}
        ]}
        """;

    private RelayMetrics _metrics = null!;
    private PrometheusExporter _exporter = null!;
    private IConnectionObserver _observer = null!;
    private IConnectionObserver _nothing = null!;
    private ConnectionEvent[] _events = [];

    [GlobalSetup]
    public void Setup()
    {
        _metrics = new RelayMetrics();
        _exporter = new PrometheusExporter(_metrics.Meter);
        _observer = new MetricsObserver(_metrics);
        _nothing = ConnectionObservers.None;
        var policy = PolicyLoader.Load(Policy);
        var client = new IPEndPoint(IPAddress.Parse("10.0.0.7"), 40000);
        var listener = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 8443);
        var upstream = new IPEndPoint(IPAddress.Parse("10.1.0.5"), 443);
        _events =
        [
            new(1, default, Checkpoint.Inbound, true, client, listener, "crm", Rule: policy.Groups[0].Rules[0]),
            new(1, default, Checkpoint.Outbound, true, client, listener, "crm", Destination: upstream, Rule: policy.Groups[1].Rules[0], Elapsed: TimeSpan.FromMilliseconds(1.5)),
            new(1, default, Checkpoint.Close, true, client, listener, "crm", Destination: upstream, Reason: CloseReason.Completed,
                BytesClientToUpstream: 4096, BytesUpstreamToClient: 65536, Elapsed: TimeSpan.FromSeconds(3)),
        ];
        Record(); // Creates every series: the steady state is measured.
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _exporter.Dispose();
        _metrics.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void NoObserver()
    {
        for (var i = 0; i < Operations; i++)
        {
            foreach (var e in _events)
            {
                _nothing.OnEvent(e);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void Record()
    {
        for (var i = 0; i < Operations; i++)
        {
            foreach (var e in _events)
            {
                _observer.OnEvent(e);
            }
        }
    }

    [Benchmark]
    public int Scrape() => _exporter.Scrape().Length;
}
