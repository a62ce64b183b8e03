using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// The recheck hook (tunnel.md §4.8: "in CA mode both sides re-check chain validity and revocation, and
/// binding_not_after, at each rekey"): run by each side after it completed a rekey; a reason closes with GOAWAY(AUTH_FAILED).
/// </summary>
public sealed class RekeyRecheckTests
{
    private static readonly TunnelConnectionOptions FastRekeys = new()
    {
        RekeyInterval = TimeSpan.FromMilliseconds(200),
        PingInterval = TimeSpan.FromMilliseconds(100),
        PingMissLimit = 50,
    };

    [Fact]
    public async Task Rekey_RecheckPasses_BothSidesRecheckAndTheTunnelStays()
    {
        var (edgeChecks, gatewayChecks) = (0, 0);
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor, FastRekeys, FastRekeys,
            edgeRecheck: () => { Interlocked.Increment(ref edgeChecks); return null; },
            gatewayRecheck: () => { Interlocked.Increment(ref gatewayChecks); return null; });

        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.Epoch >= 2 && pair.Gateway.Epoch >= 2 && Volatile.Read(ref gatewayChecks) >= 2
            && Volatile.Read(ref edgeChecks) >= 2), // The edge rechecks after it has queued DONE: it may come last.
            $"epochs {pair.Edge.Epoch}/{pair.Gateway.Epoch}, checks {edgeChecks}/{gatewayChecks}");

        Assert.True(Volatile.Read(ref edgeChecks) >= 2);
        Assert.False(pair.Edge.Completion.IsCompleted);
        Assert.False(pair.Gateway.Completion.IsCompleted);
        var (edge, gateway) = await TunnelConnectionTests.OpenAcceptedAsync(pair, acceptor);
        Assert.NotNull(edge);
        Assert.NotNull(gateway);
    }

    [Fact]
    public async Task Rekey_GatewayRecheckStartsFailing_GoAwayAuthFailed_StreamsReset()
    {
        string? verdict = null;
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor, FastRekeys, FastRekeys, gatewayRecheck: () => Volatile.Read(ref verdict));
        var (edge, _) = await TunnelConnectionTests.OpenAcceptedAsync(pair, acceptor);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Gateway.Epoch >= 1), "no rekey");

        // The edge's certificate was revoked since the handshake: the gateway's next rekey ends the connection.
        Volatile.Write(ref verdict, "certificate 'CN=edge-1' rejected: revoked");
        var reason = await pair.Gateway.Completion.WithTimeout();

        Assert.Equal("AuthFailed: certificate 'CN=edge-1' rejected: revoked", reason);
        Assert.True(pair.GatewayLog.Has(665, "no longer accepted after the rekey"), pair.GatewayLog.ToString());
        Assert.True(pair.GatewayLog.Has(665, "CN=edge-1"), pair.GatewayLog.ToString());
        await Assert.ThrowsAsync<TunnelStreamResetException>(async () => await StreamIo.ReadToEndAsync(edge.Input).WithTimeout());
        var edgeReason = await pair.Edge.Completion.WithTimeout();
        Assert.True(pair.EdgeLog.Has(656, "AuthFailed"), edgeReason + "\n" + pair.EdgeLog);
        Assert.False(pair.Edge.CanOpenStreams);
    }

    [Fact]
    public async Task Rekey_EdgeRecheckThrows_TreatedAsRejected()
    {
        var failing = 0;
        await using var pair = await TunnelPair.StartAsync(new ManualAcceptor(), FastRekeys, FastRekeys,
            edgeRecheck: () => Volatile.Read(ref failing) == 1 ? throw new InvalidOperationException("CRL store gone") : null);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.Epoch >= 1), "no rekey");

        Volatile.Write(ref failing, 1);
        var reason = await pair.Edge.Completion.WithTimeout();

        Assert.Equal("AuthFailed: recheck failed: CRL store gone", reason);
        _ = await pair.Gateway.Completion.WithTimeout(); // The peer logs the GOAWAY it read on its own loop.
        Assert.True(pair.GatewayLog.Has(656, "AuthFailed"), pair.GatewayLog.ToString());
        Assert.Equal(TunnelErrorCode.AuthFailed.ToString(), reason.Split(':')[0]);
    }
}
