using System.Net;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Balancing;

/// <summary>Weights change with a reload: the route table's swap is seen by the next session; backend state is kept.</summary>
public sealed class RouteReloadTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task TryReplace_NewWeights_NextSessionsFollowThem()
    {
        await using var stable = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var canary = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var edge = TestEdge.Start($"{stable.EndPoint};weight=4,{canary.EndPoint};weight=1");
        for (var i = 0; i < 100; i++)
        {
            await BalancingFixture.SequentialSessionAsync(edge);
        }

        // 4:1 is exact when each session has ended before the next starts; on a loaded machine the edge may still count
        // the last one as outstanding when the next is picked, which leans the split a little (effective weights).
        var before = canary.AcceptedConnections;
        Assert.InRange(before, 15, 25);
        var state = BalancingFixture.Backend(edge.Server, canary.EndPoint);

        var changed = edge.Server.Routes.TryReplace(
            [new RouteOptions("svc", [new(stable.EndPoint.Address.ToString(), stable.EndPoint.Port, 1), new(canary.EndPoint.Address.ToString(), canary.EndPoint.Port, 1)])], out _);
        Assert.Equal(["svc"], changed);
        for (var i = 0; i < 100; i++)
        {
            await BalancingFixture.SequentialSessionAsync(edge);
        }

        Assert.InRange(canary.AcceptedConnections - before, 30, 70); // 1:1 now (P2C over sessions that do not overlap).
        Assert.Same(state, BalancingFixture.Backend(edge.Server, canary.EndPoint));
    }
}
