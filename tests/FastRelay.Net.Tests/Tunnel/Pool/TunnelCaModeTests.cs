using System.Net;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Gateway;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Pool;
using FastRelay.Tunnel.Session;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// The pool and the gateway in CA mode (<c>--tunnel-ca</c> with each node's <c>--tunnel-cert</c>): no pinned keys,
/// each side's certificate from the enterprise CA signs its Noise static key.
/// </summary>
public sealed class TunnelCaModeTests
{
    [Fact]
    public async Task Pool_CaModeBothWays_CarriesStreams()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var ca = new FastRelay.Tunnel.Handshake.TunnelTestCertificates();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        using var gatewayKey = X25519Dh.Instance.GenerateKeyPair();
        var gatewayOptions = new GatewayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            AllowAnyTarget = true,
        };
        await using var gateway = GatewayServer.Start(gatewayOptions, gatewayKey, TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("exit-1", isEdge: false)),
            policy: null, TestLogging.Factory, TimeProvider.System);
        var edgeOptions = new EdgeTunnelOptions
        {
            Gateways = [new GatewayAddress("127.0.0.1", gateway.EndPoint.Port)],
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            Prewarm = 1,
        };
        await using var pool = EdgeTunnel.Create(edgeOptions, edgeKey, TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("edge-1", isEdge: true)),
            "edge-1", TimeSpan.FromSeconds(1), TestLogging.Factory, TimeProvider.System, null);
        pool.Start();

        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 1), pool.Gateways[0].LastFailure ?? "no connection");
        Assert.Equal([1, 2], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [1, 2]).WithTimeout());
        Assert.Equal(1, gateway.Stats.Handshakes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rekey_PeerBindingExpiresAfterTheHandshake_ClosedWithAuthFailedAtTheNextRekey(bool edgeChecksExpiry)
    {
        // One side's clock (the certificate checks only) jumps past the other's binding_not_after; its next rekey
        // recheck (tunnel.md §4.8) closes the connection with GOAWAY(AUTH_FAILED), and no new handshake succeeds.
        using var ca = new FastRelay.Tunnel.Handshake.TunnelTestCertificates();
        using var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        using var gatewayKey = X25519Dh.Instance.GenerateKeyPair();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var session = new TunnelSessionOptions { RekeyInterval = TimeSpan.FromMilliseconds(200), PingInterval = TimeSpan.FromMilliseconds(250) };
        var (edgeLog, gatewayLog) = (new ListLogger(), new ListLogger());
        var gatewayAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("exit-1", isEdge: false, bindingLifetime: TimeSpan.FromHours(1)),
            time: edgeChecksExpiry ? null : clock);
        var edgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("edge-1", isEdge: true, bindingLifetime: TimeSpan.FromHours(1)),
            time: edgeChecksExpiry ? clock : null);
        var gatewayOptions = new GatewayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            AllowAnyTarget = true,
            Session = session,
        };
        using var gatewayLoggers = new ListLoggerFactory(gatewayLog);
        await using var gateway = GatewayServer.Start(gatewayOptions, gatewayKey, gatewayAuth, policy: null, gatewayLoggers, TimeProvider.System);
        var edgeOptions = new EdgeTunnelOptions
        {
            Gateways = [new GatewayAddress("127.0.0.1", gateway.EndPoint.Port)],
            Identity = new TunnelIdentityOptions { KeyFile = "" },
            Prewarm = 1,
            Session = session,
        };
        using var edgeLoggers = new ListLoggerFactory(edgeLog);
        await using var pool = EdgeTunnel.Create(edgeOptions, edgeKey, edgeAuth, "edge-1", TimeSpan.FromSeconds(1), edgeLoggers, TimeProvider.System, null);
        pool.Start();
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 1), pool.Gateways[0].LastFailure ?? "no connection");
        Assert.True(await TestTimeouts.EventuallyAsync(() => edgeLog.Has(657, "rekeyed to epoch 1") && gatewayLog.Has(657, "rekeyed to epoch 1")), "no rekey");
        Assert.False(edgeLog.Has(665, ""), edgeLog.ToString());

        clock.Advance(TimeSpan.FromHours(2));

        var (checker, peer) = edgeChecksExpiry ? (edgeLog, gatewayLog) : (gatewayLog, edgeLog);
        Assert.True(await TestTimeouts.EventuallyAsync(() => checker.Has(665, "static-key binding expired")), checker.ToString());
        Assert.True(await TestTimeouts.EventuallyAsync(() => peer.Has(656, "AuthFailed")), peer.ToString());
        Assert.True(await TestTimeouts.EventuallyAsync(() => checker.Has(651, "AuthFailed: static-key binding expired")), checker.ToString());
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 0 && pool.Gateways[0].LastFailure is not null),
            "the pool still has a connection after the peer's binding expired");
    }
}
