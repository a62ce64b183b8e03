using System.Net;
using System.Security.Cryptography;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// The edge's pool against real in-process gateways over loopback: pre-warm, no handshake per session, growth,
/// idle reaping, recycling after --keepalive-requests, redial after a gateway restart, many streams byte-exact.
/// </summary>
public sealed class TunnelPoolTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Start_DialsTheWarmConnections()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 3);

        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 3));

        // Eventually: the pool counts a connection usable once it has sent the last handshake message, the gateway
        // counts the handshake once it has read it.
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshakes == 3), $"handshakes: {gateway.Stats.Handshakes}");
        Assert.Equal(1, pool.Reachable);
    }

    [Fact]
    public async Task OpenStream_OverWarmPool_PerformsNoHandshake()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 2);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 2));
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshakes == 2)); // The gateway's count lags the pool's.
        var handshakesBefore = gateway.Stats.Handshakes;

        for (var i = 0; i < 50; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(1 + (i * 97));
            Assert.Equal(payload, await TunnelFixture.EchoAsync(pool, echo.EndPoint, payload).WithTimeout());
        }

        Assert.Equal(handshakesBefore, gateway.Stats.Handshakes);
        Assert.Equal(handshakesBefore, pool.Handshakes);
        Assert.Equal(50, gateway.Stats.StreamsAccepted);
    }

    [Fact]
    public async Task OpenStream_AllConnectionsFull_GrowsThePool_ThenIdleOnesAreReapedDownToWarm()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(maxStreams: 2);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1, keepalive: 8, keepaliveTimeout: TimeSpan.FromMilliseconds(500), maxStreams: 2);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 1));

        // Seven streams held open at once, two per connection: the pool must grow to four connections.
        var leases = new List<FastRelay.Tunnel.Pool.TunnelLease>();
        for (var i = 0; i < 7; i++)
        {
            var opened = await pool.OpenStreamAsync(FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
            leases.Add(opened.Stream ?? throw new InvalidOperationException($"stream {i}: {opened.Error} {opened.Detail}"));
        }

        Assert.Equal(4, pool.Gateways[0].Connections);
        Assert.Equal(7, pool.Gateways[0].OpenStreams);
        foreach (var lease in leases)
        {
            lease.Abort();
            lease.Dispose();
        }

        // Idle past --keepalive-timeout: closed down to the warm count (one), never below.
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].Connections == 1, TimeSpan.FromSeconds(10)));
        await Task.Delay(800);
        Assert.Equal(1, pool.Gateways[0].Connections);
    }

    [Fact]
    public async Task OpenStream_AfterKeepaliveRequests_RecyclesTheConnection()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1, keepaliveRequests: 3);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 1));

        for (var i = 0; i < 9; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(1000);
            Assert.Equal(payload, await TunnelFixture.EchoAsync(pool, echo.EndPoint, payload).WithTimeout());
        }

        // Three streams per connection: the first and two replacements carried them (plus the one warm now).
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshakes >= 3 && pool.Gateways[0].UsableConnections == 1));
        Assert.InRange(gateway.Stats.Handshakes, 3, 4);
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Connections == 1)); // The spent ones drained and closed.
    }

    [Fact]
    public async Task Pool_GatewayRestarts_Redials()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var port = LoopbackPorts.Reserve().Port; // Reserved: no other test's bind(0) takes it while no gateway holds it.
        var first = tunnel.StartGateway(port);
        var pool = tunnel.StartPool([first.EndPoint], prewarm: 2);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 2));

        await first.StopAsync(TimeSpan.Zero);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Reachable == 0));

        var second = tunnel.StartGateway(port);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 2, TimeSpan.FromSeconds(15)));
        Assert.Equal([7, 7], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [7, 7]).WithTimeout());

        // Eventually: the pool counts a connection usable once it has sent the last handshake message; the gateway
        // counts the handshake when it has read it, which on a loaded machine can come after the echo above.
        Assert.True(await TestTimeouts.EventuallyAsync(() => second.Stats.Handshakes == 2), $"handshakes: {second.Stats.Handshakes}");
        Assert.Equal(2, second.Stats.Handshakes); // And no third: the pool redialled only what it had lost.
    }

    [Fact]
    public async Task OpenStream_NoPrewarm_DialsOnDemand()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 0);
        await Task.Delay(300);
        Assert.Equal(0, gateway.Stats.Handshakes);

        Assert.Equal([3], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [3]).WithTimeout());
        Assert.Equal(1, gateway.Stats.Handshakes);
    }

    [Fact]
    public async Task Dial_GatewayKeyNotPinned_TheFailureNamesTheGatewaysKey()
    {
        // PROTOCOL.md §9: both sides log the peer's key; the gateway names ours, the edge now names the gateway's.
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        using var stranger = FastRelay.Tunnel.Noise.X25519Dh.Instance.GenerateKeyPair();
        var dialer = new FastRelay.Tunnel.Pool.TunnelLinkDialer(tunnel.EdgeKey, FastRelay.Tunnel.Handshake.TunnelAuthentication.Pinned([stranger.PublicKey.ToArray()]),
            FastRelay.Tunnel.Pool.EdgeTunnel.ConnectionOptions(new FastRelay.Configuration.TunnelSessionOptions(), TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(5), "test-edge",
            TestLogging.Factory.CreateLogger("t"), TimeProvider.System);

        var failure = await Assert.ThrowsAsync<FastRelay.Tunnel.Pool.TunnelDialException>(async () =>
            await dialer.DialAsync(new FastRelay.Configuration.GatewayAddress(gateway.EndPoint.Address.ToString(), gateway.EndPoint.Port), CancellationToken.None));

        Assert.Equal($"exit identity rejected: static key not in the allowlist (gateway key {tunnel.GatewayKey.PublicKeyBase64})", failure.Message);
    }

    [Fact]
    public async Task NoPrewarm_AGatewayWithNoConnectionYet_IsReachable_UntilADialToItFails()
    {
        // /readyz reads Reachable: an on-demand pool with nothing open must not take a working edge out of rotation.
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 0);
        Assert.Equal(1, pool.Reachable);

        var port = LoopbackPorts.Reserve().Port; // Nobody listens on it yet; no other test's bind(0) takes it.
        var down = tunnel.StartPool([new IPEndPoint(IPAddress.Loopback, port)], prewarm: 0);
        Assert.Equal(1, down.Reachable); // Nothing known yet.
        var opened = await down.OpenStreamAsync(FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(IPAddress.Loopback, 9), TimeSpan.FromSeconds(1), CancellationToken.None).AsTask().WithTimeout();
        Assert.Null(opened.Stream);
        Assert.Equal(0, down.Reachable); // Its dial failed.

        // Probed after the backoff with no session asking: once it serves, it is reachable again by itself.
        tunnel.StartGateway(port);
        Assert.True(await TestTimeouts.EventuallyAsync(() => down.Reachable == 1, TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Recycled_ConnectionsStillCarryingStreams_AreCountedAsDraining_UntilTheyClose()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1, keepaliveRequests: 2);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 1));
        var target = FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port);

        // Two held streams spend the first connection: it leaves the pool to drain, still open.
        using var first = (await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout()).Stream!;
        using var second = (await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout()).Stream!;
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].DrainingConnections == 1));

        first.Abort();
        second.Abort();
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].DrainingConnections == 0)); // Closed once its streams ended.
    }

    [Fact]
    public async Task OpenStream_NoGatewayReachable_FailsWithTheReason()
    {
        await using var tunnel = new TunnelFixture();
        using var unused = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        unused.Bind(Loopback); // A port nobody listens on: every dial is refused.
        var pool = tunnel.StartPool([(IPEndPoint)unused.LocalEndPoint!], prewarm: 1);

        var opened = await pool.OpenStreamAsync(FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(IPAddress.Loopback, 9), TimeSpan.FromSeconds(1), CancellationToken.None).AsTask().WithTimeout();

        Assert.Null(opened.Stream);
        Assert.Contains("no gateway reachable", opened.Detail, StringComparison.Ordinal);
        Assert.Contains("connection refused", opened.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStream_GatewayDialInFlight_WaitsForRoomNoLongerThanTheAttemptsBudget()
    {
        // A gateway that takes the TCP connection and never answers the handshake: the dial stays in flight, so the
        // pool waits for room. That wait used --tunnel-connect-timeout (3 s here) whatever the session's budget, and
        // the session's other targets (--retries) then found --connect-timeout spent.
        await using var tunnel = new TunnelFixture();
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        silent.Bind(Loopback);
        silent.Listen(16);
        var pool = tunnel.StartPool([(IPEndPoint)silent.LocalEndPoint!], prewarm: 1);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var opened = await pool.OpenStreamAsync(FastRelay.Tunnel.Frames.TunnelTarget.ForAddress(IPAddress.Loopback, 9), TimeSpan.FromMilliseconds(300), CancellationToken.None).AsTask().WithTimeout();

        Assert.Null(opened.Stream);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"waited {clock.Elapsed.TotalMilliseconds:0} ms for a 300 ms budget");
    }

    [Fact]
    public async Task OpenStream_ThousandConcurrentStreamsOverFourConnections_AreByteExact()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 4, keepalive: 4);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 4));

        var streams = Enumerable.Range(0, 1000).Select(async i =>
        {
            var payload = RandomNumberGenerator.GetBytes(4096 + (i % 7 * 1000));
            var back = await TunnelFixture.EchoAsync(pool, echo.EndPoint, payload);
            return payload.AsSpan().SequenceEqual(back);
        }).ToArray();

        var results = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(results, Assert.True);
        Assert.Equal(4, gateway.Stats.Handshakes); // The pool never grew: 4 x 256 slots hold all 1,000.
        Assert.Equal(1000, gateway.Stats.StreamsAccepted);
    }
}
