using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Filtering;
using FastRelay.Observing;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Observing;

/// <summary>
/// The metrics from real connections through a real edge, read back through the Prometheus scrape:
/// accepts, bytes, closes by reason, decisions by rule, rate-limit refusals and histogram counts move as
/// the traffic says they should; and recording an event allocates nothing.
/// </summary>
public sealed class MetricsObserverTests
{
    private const string Policy = """
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.2/32", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
        ]}
        """;

    private static readonly IPAddress Desk = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Scrape_DuringLoad_CountersAndHistogramsMoveAsTheTrafficSays()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), Policy, new MetricsObserver(metrics),
            flags: [("conn-rate", "5/m"), ("conn-burst", "5")]);
        metrics.ObserveActiveConnections(() => edge.Server.ActiveConnections);

        // Two echo sessions of 100 bytes, then a scrape while one more is open.
        await EchoAsync(edge, Desk, 100);
        await EchoAsync(edge, Desk, 100);
        using var open = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Desk);
        await open.SendAsync(new byte[10], SocketFlags.None);
        await open.ReceiveExactlyAsync(10);
        Assert.True(await TestTimeouts.EventuallyAsync(() => Value(exporter.Scrape(), "fastrelay_relayed_bytes_total{direction=\"client_to_upstream\"}") == 200));
        var during = exporter.Scrape();
        Assert.Equal(3, Value(during, "fastrelay_connections_accepted_total{service=\"svc\"}"));
        Assert.Equal(1, Value(during, "fastrelay_connections_active"));
        Assert.Equal(2, Value(during, "fastrelay_connections_closed_total{reason=\"Completed\"}"));
        Assert.Equal(3, Value(during, "fastrelay_upstream_connect_duration_seconds_count{service=\"svc\"}"));
        Assert.Equal(2, Value(during, "fastrelay_session_duration_seconds_count{service=\"svc\"}"));

        // The rest: the open one closes, two more sessions, the sixth from Desk is over the bucket, and a
        // stranger is denied by the default deny before it could spend a token.
        open.Shutdown(SocketShutdown.Send);
        Assert.True(await open.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        await EchoAsync(edge, Desk, 1000);
        await EchoAsync(edge, Desk, 1000);
        Assert.False(await TryEchoAsync(edge, Desk));
        Assert.False(await TryEchoAsync(edge, Stranger));
        // The refused clients see their close a moment before the edge has counted it: wait for every count (the active
        // gauge last: a connection leaves it after its close is recorded; a clean-clone CI run read it in between).
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            var scrape = exporter.Scrape();
            return Value(scrape, "fastrelay_connections_closed_total{reason=\"Completed\"}") == 5
                && Value(scrape, "fastrelay_connections_active") == 0
                && Value(scrape, "fastrelay_connections_accepted_total{service=\"svc\"}") == 7
                && Value(scrape, "fastrelay_connections_closed_total{reason=\"FilterDenied\"}") == 1
                && Value(scrape, "fastrelay_connections_closed_total{reason=\"RateLimited\"}") == 1;
        }));

        var after = exporter.Scrape();
        Assert.Equal(7, Value(after, "fastrelay_connections_accepted_total{service=\"svc\"}"));
        Assert.Equal(0, Value(after, "fastrelay_connections_active"));
        Assert.Equal(2210, Value(after, "fastrelay_relayed_bytes_total{direction=\"client_to_upstream\"}"));
        Assert.Equal(2210, Value(after, "fastrelay_relayed_bytes_total{direction=\"upstream_to_client\"}"));
        Assert.Equal(1, Value(after, "fastrelay_connections_closed_total{reason=\"RateLimited\"}"));
        Assert.Equal(1, Value(after, "fastrelay_connections_closed_total{reason=\"FilterDenied\"}"));
        Assert.Equal(1, Value(after, "fastrelay_rate_limit_rejections_total{service=\"svc\",cause=\"bucket_empty\"}"));
        Assert.Equal(6, Value(after, "fastrelay_decisions_total{checkpoint=\"Inbound\",group=\"Desk\",rule=\"0\",verdict=\"allow\"}"));
        Assert.Equal(1, Value(after, "fastrelay_decisions_total{checkpoint=\"Inbound\",group=\"\",rule=\"default-deny\",verdict=\"deny\"}"));
        Assert.Equal(5, Value(after, "fastrelay_decisions_total{checkpoint=\"Outbound\",group=\"Backends\",rule=\"0\",verdict=\"allow\"}"));
        Assert.Equal(5, Value(after, "fastrelay_upstream_connect_duration_seconds_count{service=\"svc\"}"));
        Assert.Equal(5, Value(after, "fastrelay_session_duration_seconds_bucket{service=\"svc\",le=\"+Inf\"}"));
    }

    [Fact]
    public async Task UpstreamDown_ClosedAsUpstreamUnavailable_NoBytes()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        var closedPort = FastRelayProcess.FreeEndPoint();
        await using var edge = TestEdge.StartObserved(closedPort.ToString(), policyJson: null, new MetricsObserver(metrics));

        Assert.False(await TryEchoAsync(edge, Desk));
        Assert.True(await TestTimeouts.EventuallyAsync(() => Value(exporter.Scrape(), "fastrelay_connections_closed_total{reason=\"UpstreamUnavailable\"}") == 1));
        var text = exporter.Scrape();
        Assert.DoesNotContain("fastrelay_decisions_total", text, StringComparison.Ordinal); // No policy: no decisions to count.
        Assert.DoesNotContain("fastrelay_upstream_connect_duration", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AGatewaysRefusal_IsAClose_NotThisEdgesDecision()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        var observer = new MetricsObserver(metrics);
        var client = new IPEndPoint(Desk, 40000);
        var listener = new IPEndPoint(IPAddress.Loopback, 8443);

        // The edge's own default deny at the dial counts; the gateway's FORBIDDEN_TARGET (its rules) does not.
        observer.OnEvent(new ConnectionEvent(1, DateTimeOffset.UtcNow, Checkpoint.Outbound, Allowed: false, client, listener, "svc", Reason: CloseReason.FilterDenied));
        observer.OnEvent(new ConnectionEvent(2, DateTimeOffset.UtcNow, Checkpoint.Outbound, Allowed: false, client, listener, "svc", Reason: CloseReason.FilterDenied,
            Detail: "10.0.0.9:443 refused by gateway 127.0.0.1:7000: FORBIDDEN_TARGET (its Outbound rules)", DecidedByPeer: true));

        var text = exporter.Scrape();
        Assert.Equal(1, Value(text, "fastrelay_decisions_total{checkpoint=\"Outbound\",group=\"\",rule=\"default-deny\",verdict=\"deny\"}"));
        Assert.Equal(2, Value(text, "fastrelay_connections_closed_total{reason=\"FilterDenied\"}")); // Both connections closed.
    }

    [Fact]
    public void OnEvent_EveryCheckpoint_AllocatesNothing()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        var observer = new MetricsObserver(metrics);
        var rule = PolicyLoader.Load(Policy).Groups[0].Rules[0];
        var client = new IPEndPoint(Desk, 40000);
        var listener = new IPEndPoint(IPAddress.Loopback, 8443);
        ConnectionEvent[] events =
        [
            new(1, default, Checkpoint.Inbound, true, client, listener, "crm", Rule: rule),
            new(1, default, Checkpoint.Inbound, false, client, listener, "crm", Reason: CloseReason.FilterDenied),
            new(1, default, Checkpoint.RateLimit, false, client, listener, "crm", Reason: CloseReason.RateLimited, Detail: "bucket empty"),
            new(1, default, Checkpoint.Handshake, false, client, listener, "crm", Reason: CloseReason.TlsHandshakeFailed),
            new(1, default, Checkpoint.Outbound, true, client, listener, "crm", Rule: rule, Elapsed: TimeSpan.FromMilliseconds(2)),
            new(1, default, Checkpoint.Close, true, client, listener, "crm", Reason: CloseReason.Completed, BytesClientToUpstream: 5, BytesUpstreamToClient: 7, Elapsed: TimeSpan.FromSeconds(1)),
        ];
        foreach (var e in events)
        {
            observer.OnEvent(e); // First time: the series are created.
        }

        Assert.Equal(0, Allocations.FewestBytesOnThisThread(
            () =>
            {
                foreach (var e in events)
                {
                    observer.OnEvent(e);
                }
            },
            iterations: 200)); // 5 rounds: 1,000 events of each kind.
        Assert.Contains("fastrelay_tls_handshake_failures_total{reason=\"TlsHandshakeFailed\"} 1001", exporter.Scrape(), StringComparison.Ordinal);
    }

    private static long Value(string scrape, string series) => PrometheusScrape.Value(scrape, series);

    private static async Task EchoAsync(TestEdge edge, IPAddress from, int bytes)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, from);
        await client.SendAsync(new byte[bytes], SocketFlags.None);
        await client.ReceiveExactlyAsync(bytes);
        client.Shutdown(SocketShutdown.Send);
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
    }

    private static async Task<bool> TryEchoAsync(TestEdge edge, IPAddress from)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, from);
        try
        {
            await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
            return (await client.ReceiveToEndAsync()).Length > 0;
        }
        catch (SocketException)
        {
            return false; // Reset: refused.
        }
    }
}
