using System.Net;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Gateway;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Pool;

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
}
