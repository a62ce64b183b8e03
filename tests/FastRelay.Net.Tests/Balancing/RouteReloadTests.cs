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

        Assert.Equal(20, canary.AcceptedConnections);
        var state = BalancingFixture.Backend(edge.Server, canary.EndPoint);

        // The canary becomes the main backend: 1 to 4.
        var changed = edge.Server.Routes.TryReplace(
            [new RouteOptions("svc", [new(stable.EndPoint.Address.ToString(), stable.EndPoint.Port, 1), new(canary.EndPoint.Address.ToString(), canary.EndPoint.Port, 4)])], out _);
        Assert.Equal(["svc"], changed);
        for (var i = 0; i < 100; i++)
        {
            await BalancingFixture.SequentialSessionAsync(edge);
        }

        Assert.Equal(80, canary.AcceptedConnections - 20);
        Assert.Same(state, BalancingFixture.Backend(edge.Server, canary.EndPoint));
    }
}
