using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Balancing;

/// <summary>
/// Weights are the share of new sessions (routing-contract.md, "Weights"): a 20 % canary gets 20 % of 1,000
/// sequential sessions through real sockets, within 2 %.
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
}
