using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>An upstream that refuses, cannot be reached or is slow to accept: the client gets a prompt close, or the next target.</summary>
public sealed class UpstreamFailureTests
{
    [Fact]
    public async Task UpstreamRefuses_ClientIsClosed_ReasonIsUpstreamUnavailable()
    {
        await using var edge = TestEdge.Start(FaultyListeners.RefusingEndPoint().ToString());
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamUnavailable] == 1));
    }

    [Fact]
    public async Task UpstreamSlowToAccept_ConnectTimeoutCloses_WithinBound()
    {
        using var slow = FaultyListeners.SlowToAccept();
        await using var edge = TestEdge.Start(slow.EndPoint.ToString(), flags: ("connect-timeout", "300ms"));
        var started = DateTime.UtcNow; // Before the connect: the edge's dial timer may start before this thread runs again.
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamUnavailable] == 1));
    }

    [Fact]
    public async Task FirstTargetUnreachable_OrSlow_OrRefusing_NextTargetServes()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var slow = FaultyListeners.SlowToAccept();
        var refusing = FaultyListeners.RefusingEndPoint();
        var dialer = new FakeUpstreamDialer("10.255.255.1:9");
        var targets = $"10.255.255.1:9,{slow.EndPoint},{refusing},{echo.EndPoint}";
        // 1 s, not less: the echo's own loopback connect must never time out on a loaded machine (a stress run saw a
        // 200 ms timeout fail all four attempts of one client).
        await using var edge = TestEdge.Start(targets, dialer, flags: [("connect-timeout", "1s"), ("retries", "3")]);

        // Round-robin starts each client at a different target; with 3 retries every one must still reach the echo,
        // the slow one taking only its share of the 1 s.
        for (var i = 0; i < 4; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
            await client.SendAsync(new byte[] { (byte)i }, SocketFlags.None);
            Assert.Equal((byte)i, (await client.ReceiveExactlyAsync(1))[0]);
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamUnavailable] == 0));
        Assert.True(dialer.Attempts > 4);
    }
}
