using System.Net;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Gateway;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Net.Tests.Tunnel.Gateway;

/// <summary>
/// A gateway's connection counters, read back through the Prometheus scrape: every stream counts as accepted (relayed,
/// forbidden or unreachable) and as closed once it ends, so accepted - closed = active as on the edge (operating.md).
/// </summary>
public sealed class GatewayMetricsTests
{
    private const string AllowEchoOnly = GatewayServerTests.AllowEchoOnly;

    [Fact]
    public async Task Streams_RelayedForbiddenAndUnreachable_AreEachAcceptedAndClosedOnce()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var closedPort = FreePort();
        var gateway = tunnel.StartGateway(policyJson: AllowEchoOnly.Replace("PORT", $"{echo.EndPoint.Port},{closedPort}", StringComparison.Ordinal),
            observer: new GatewayMetricsObserver(metrics));
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);

        Assert.Equal([7], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [7]).WithTimeout());
        var outside = echo.EndPoint.Port + 1 == closedPort ? echo.EndPoint.Port + 2 : echo.EndPoint.Port + 1;
        var forbidden = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, outside), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        var unreachable = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, closedPort), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Equal(TunnelErrorCode.ForbiddenTarget, forbidden.Error);
        Assert.NotEqual(TunnelErrorCode.NoError, unreachable.Error);
        Assert.True(await TestTimeouts.EventuallyAsync(() => Value(exporter.Scrape(), "fastrelay_connections_closed_total{reason=\"Completed\"}") == 1), exporter.Scrape());
        var text = exporter.Scrape();
        Assert.Equal(3, Value(text, "fastrelay_connections_accepted_total{service=\"tunnel\"}"));
        Assert.Equal(1, Value(text, "fastrelay_connections_closed_total{reason=\"FilterDenied\"}"));
        Assert.Equal(1, Value(text, "fastrelay_connections_closed_total{reason=\"UpstreamUnavailable\"}"));
    }

    [Fact]
    public async Task TunnelConnections_RefusedByTheHandshakeRate_AreAcceptedAndClosed()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(observer: new GatewayMetricsObserver(metrics), handshakeRate: new FastRelay.RateLimiting.TokenBucketOptions(0.001, 1));

        // The first connection takes the one token and is left to time out or closed; the second is refused at once.
        using (var first = await SocketTestExtensions.ConnectAsync(gateway.EndPoint))
        using (var second = await SocketTestExtensions.ConnectAsync(gateway.EndPoint))
        {
            Assert.True(await second.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => Value(exporter.Scrape(), "fastrelay_connections_closed_total{reason=\"RateLimited\"}") == 1
            && Value(exporter.Scrape(), "fastrelay_connections_closed_total{reason=\"TunnelAuthFailed\"}") == 1), exporter.Scrape());
        Assert.Equal(2, Value(exporter.Scrape(), "fastrelay_connections_accepted_total{service=\"tunnel\"}"));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static long Value(string scrape, string series) => PrometheusScrape.Value(scrape, series);
}
