using System.Collections.Concurrent;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Pool;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// An edge whose key the gateway does not pin: its Noise handshake completes on its side (msg3 is the last message), then
/// the gateway sends GOAWAY AUTH_FAILED. The pool counts that handshake once (ok, then refused; never also failed) and its
/// failure reason says what happened, for the log line and /status.
/// </summary>
public sealed class RefusedKeyTests
{
    [Fact]
    public async Task GatewayRefusesOurKey_CountedRefusedNotFailed_AndTheReasonSaysSo()
    {
        await using var fixture = new TunnelFixture();
        var gateway = fixture.StartGateway();
        var stranger = X25519Dh.Instance.GenerateKeyPair(); // Trusts the gateway's key; its own is not pinned there.
        var outcomes = new ConcurrentQueue<string>();
        var events = new TunnelPoolEvents
        {
            OnHandshake = (_, ok) => outcomes.Enqueue(ok ? "ok" : "failed"),
            OnRefused = _ => outcomes.Enqueue("refused"),
        };
        var session = new TunnelSessionOptions();
        await using var pool = new TunnelPool([new GatewayAddress("127.0.0.1", gateway.EndPoint.Port)],
            new TunnelLinkDialer(stranger, TunnelAuthentication.Pinned([fixture.GatewayKey.PublicKey.ToArray()]), EdgeTunnel.ConnectionOptions(session, TimeSpan.FromSeconds(2)),
                TimeSpan.FromSeconds(3), "stranger", TestLogging.Factory.CreateLogger("dialer"), TimeProvider.System),
            new PoolPolicyOptions(1, 32, TimeSpan.FromSeconds(75), 0, 256), TimeSpan.FromSeconds(3), TimeProvider.System, new Random(1),
            TestLogging.Factory.CreateLogger("pool"), events);
        pool.Start();

        Assert.True(await TestTimeouts.EventuallyAsync(() => outcomes.Contains("refused")), string.Join(", ", outcomes));
        Assert.DoesNotContain("failed", outcomes);
        Assert.True(outcomes.Count(o => o == "refused") <= outcomes.Count(o => o == "ok"), string.Join(", ", outcomes)); // Each refused one was counted ok first.
        Assert.StartsWith("GOAWAY AuthFailed received: the peer refused our static key", pool.Gateways[0].LastFailure, StringComparison.Ordinal);
    }
}
