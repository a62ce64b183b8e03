using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Balancing;

/// <summary>
/// Weights are the share of new sessions (routing-contract.md, "Weights"): a 20 % canary gets 20 % of 1,000
/// sequential sessions through real sockets, within 2 %, also for a client that opens its next session the moment
/// it has read the last reply (the edge is then still closing the last one: it must not count as load).
/// </summary>
public sealed class WeightedRoutingTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Weights4To1_ThousandSequentialSessions_CanaryGetsTwentyPercent()
    {
        await using var stable = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var canary = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var edge = TestEdge.Start($"{stable.EndPoint};weight=4,{canary.EndPoint};weight=1");

        for (var i = 0; i < 1000; i++)
        {
            await BalancingFixture.SequentialSessionAsync(edge);
        }

        Assert.Equal(1000, stable.AcceptedConnections + canary.AcceptedConnections);
        Assert.InRange(canary.AcceptedConnections, 180, 220);
    }

    [Fact]
    public async Task Weights4To1_ClientClosesRightAfterTheReply_CanaryStillGetsTwentyPercent()
    {
        await using var stable = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var canary = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        // On the pipe path, where the client's FIN and the next accept are handled by the same runtime engine threads
        // in arrival order. On the epoll path the FIN is seen by an epoll loop thread and the next accept by the
        // runtime's, and the accept can win that race: the canary then got 22-27 % here (README, "Load balancing").
        await using var edge = TestEdge.Start($"{stable.EndPoint};weight=4,{canary.EndPoint};weight=1", flags: ("data-path", "pipes"));

        for (var i = 0; i < 1000; i++)
        {
            // No half-close and no wait for the edge: read the reply, close, connect again at once.
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
            await client.SendAsync(new byte[] { 5 }, SocketFlags.None).WithTimeout();
            Assert.Equal([5], await client.ReceiveExactlyAsync(1).WithTimeout());
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        Assert.InRange(canary.AcceptedConnections, 180, 220);
    }
}
