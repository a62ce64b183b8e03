using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// Two gateways, all active; one goes silent (no FIN, no RST: only missed pings). Its connections are declared
/// dead after 3 ping intervals, and new sessions go to the other gateway.
/// </summary>
public sealed class TunnelFailoverTests
{
    [Fact]
    public async Task Pool_OneGatewayGoesSilent_NewStreamsGoToTheOther()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var ping = TimeSpan.FromMilliseconds(250); // Dead after 750 ms; 100 ms would let a loaded machine's pause kill B's tunnels too.
        var a = tunnel.StartGateway(pingInterval: ping);
        var b = tunnel.StartGateway(pingInterval: ping);
        await using var path = new FreezableProxy(a.EndPoint);
        var pool = tunnel.StartPool([path.EndPoint, b.EndPoint], prewarm: 2, pingInterval: ping);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 2)));

        // Both are used while both are alive (power-of-two-choices across gateways).
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal([1, 2, 3], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [1, 2, 3]).WithTimeout());
        }

        Assert.True(a.Stats.StreamsAccepted > 0 && b.Stats.StreamsAccepted > 0, $"a {a.Stats.StreamsAccepted}, b {b.Stats.StreamsAccepted}");

        path.Freeze();
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 0, TimeSpan.FromSeconds(5)), "the silent gateway's connections were not declared dead");

        var before = b.Stats.StreamsAccepted;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal([4, 5], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [4, 5]).WithTimeout());
        }

        Assert.Equal(before + 10, b.Stats.StreamsAccepted);
        Assert.Equal(1, pool.Reachable);
    }
}
