using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tunnel;

/// <summary>
/// <c>tunnel:</c> routes in the edge's relay: the client is pumped to a tunnel stream exactly as to a socket, the
/// edge's own Outbound rules still apply to IP-literal tunnel targets, and a route mixing direct and tunnel
/// targets fails over between them.
/// </summary>
public sealed class EdgeTunnelRouteTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task TunnelRoute_RelaysByteExact_AndRecordsTheGateway()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var observer = new RecordingObserver();
        await using var edge = StartEdge($"tunnel:{echo.EndPoint}", pool, observer);

        var payload = RandomNumberGenerator.GetBytes(1 << 20);
        using (var client = await SocketTestExtensions.ConnectAsync(edge.EndPoints[0]))
        {
            var reading = client.ReceiveExactlyAsync(payload.Length);
            await client.SendAsync(payload, SocketFlags.None);
            Assert.Equal(payload, await reading.WithTimeout());
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync()); // Half-close crosses the tunnel: the echo's FIN comes back.
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Checkpoint == Checkpoint.Close)));
        var outbound = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound);
        Assert.Contains($"via gateway 127.0.0.1:{gateway.EndPoint.Port}", outbound.Detail, StringComparison.Ordinal);
        var close = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Close);
        Assert.Equal(CloseReason.Completed, close.Reason);
        Assert.Equal(payload.Length, close.BytesClientToUpstream);
    }

    [Fact]
    public async Task TunnelRoute_IpTargetOutsideTheEdgesOwnRules_IsDeniedAtTheEdge()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var observer = new RecordingObserver();
        const string policy = """
            {"SecurityGroups": [{"Name": "Edge", "Rules": [
              {"Protocol": "TCP", "SourceIP": "0.0.0.0/0", "Action": "Allow"},
              {"Protocol": "TCP", "PortRange": "1", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}
            """;
        await using var edge = StartEdge($"tunnel:{echo.EndPoint}", pool, observer, policy);

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoints[0]);
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));

        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Checkpoint == Checkpoint.Outbound)));
        var denied = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound);
        Assert.False(denied.Allowed);
        Assert.Equal(CloseReason.FilterDenied, denied.Reason);
        Assert.Equal(0, gateway.Stats.StreamsAccepted + gateway.Stats.StreamsRejected); // No OPEN was sent.
    }

    [Fact]
    public async Task MixedRoute_GatewayRefusesTheTarget_NextDirectTargetServes()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        using var unused = new Socket(SocketType.Stream, ProtocolType.Tcp);
        unused.Bind(Loopback); // Nothing listens: the gateway answers CONNECT_REFUSED, the edge tries the next target.
        await using var edge = StartEdge($"tunnel:{unused.LocalEndPoint};weight=100,{echo.EndPoint}", pool, new RecordingObserver());

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoints[0]);
        await client.SendAsync(new byte[] { 42 }, SocketFlags.None);
        Assert.Equal(42, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        Assert.Equal(1, gateway.Stats.StreamsRejected);
    }

    private static EdgeServer StartEdge(string targets, FastRelay.Tunnel.Pool.TunnelPool pool, RecordingObserver observer, string? policyJson = null)
    {
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "svc@127.0.0.1:0", "test"), new("route", "svc=" + targets, "test"),
            new("gateway", "127.0.0.1:1", "test"), new("tunnel-key", "(in memory)", "test"),
            new("gateway-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test"),
        ]);
        var policy = policyJson is null ? null : FastRelay.Filtering.PolicyLoader.Load(policyJson);
        return EdgeServer.Start(options, TestLogging.Factory, TimeProvider.System, dialer: null, policy, observer, tunnel: pool);
    }
}
