using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Routing;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Discovery;

/// <summary>
/// Service discovery end to end on loopback: a real HTTP discovery endpoint picks the backend per client address (clients
/// bind 127.0.0.2 and 127.0.0.3), and the route's --route target is the default backend when discovery is down or slow.
/// </summary>
public sealed class DiscoveryRoutingTests
{
    private static readonly IPAddress ClientB = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress ClientC = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Discovery_PicksBackendPerClientAddress_AndCachesTheAnswer()
    {
        await using var a = Echo();
        await using var b = Echo();
        await using var c = Echo();
        await using var discovery = new FakeDiscoveryServer(path => Task.FromResult(FakeDiscoveryServer.QueryValue(path, "client") switch
        {
            "127.0.0.2" => (200, "application/json", $"[\"{b.EndPoint}\"]"),
            "127.0.0.3" => (200, "text/plain", $"# for 127.0.0.3\n{c.EndPoint}\n"),
            _ => (404, "text/plain", "unknown client"),
        }));
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags: [("discovery", $"svc={discovery.Url}")]);

        await EchoOnceAsync(edge, ClientB);
        await EchoOnceAsync(edge, ClientC);
        await EchoOnceAsync(edge, ClientB);

        Assert.Equal((0, 2, 1), (a.AcceptedConnections, b.AcceptedConnections, c.AcceptedConnections));
        Assert.Equal(["/pick?service=svc&client=127.0.0.2", "/pick?service=svc&client=127.0.0.3"], discovery.Requests.Order());
    }

    [Fact]
    public async Task Discovery_UrlWithAQuery_GetsTheParametersAppendedWithAmpersand()
    {
        await using var a = Echo();
        await using var b = Echo();
        await using var discovery = new FakeDiscoveryServer(_ => Task.FromResult((200, "text/plain", b.EndPoint.ToString())));
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags: [("discovery", $"svc={discovery.Url}?dc=eu")]);

        await EchoOnceAsync(edge, ClientB);

        Assert.Equal("/pick?dc=eu&service=svc&client=127.0.0.2", Assert.Single(discovery.Requests));
        Assert.Equal(1, b.AcceptedConnections);
    }

    [Theory]
    [InlineData("refused")]
    [InlineData("http 503")]
    [InlineData("garbage")]
    public async Task DiscoveryDown_ClientsGoToTheDefaultBackend(string how)
    {
        await using var a = Echo();
        await using var discovery = new FakeDiscoveryServer(_ => Task.FromResult(how == "http 503" ? (503, "text/plain", "down") : (200, "application/json", "{\"oops\": 1}")));
        var url = how == "refused" ? $"http://127.0.0.1:{ClosedPort()}/pick" : discovery.Url;
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags: [("discovery", $"svc={url}")]);

        await EchoOnceAsync(edge, ClientB);
        await EchoOnceAsync(edge, ClientC);

        Assert.Equal(2, a.AcceptedConnections);
    }

    [Fact]
    public async Task DiscoverySlow_FirstClientWaitsOnlyTheTimeout_ThenTheDefaultBackend()
    {
        await using var a = Echo();
        await using var b = Echo();
        await using var discovery = new FakeDiscoveryServer(async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
            return (200, "text/plain", b.EndPoint.ToString());
        });
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags: [("discovery", $"svc={discovery.Url}"), ("discovery-timeout", "200ms")]);

        var started = TimeProvider.System.GetTimestamp();
        await EchoOnceAsync(edge, ClientB);

        Assert.Equal((1, 0), (a.AcceptedConnections, b.AcceptedConnections));
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5), "bounded by --discovery-timeout, not by the endpoint");
    }

    [Fact]
    public async Task StaleWhileRevalidate_ASlowRefreshDoesNotDelayACachedClient()
    {
        await using var a = Echo();
        await using var b = Echo();
        await using var c = Echo();
        var slow = new TaskCompletionSource();
        await using var discovery = new FakeDiscoveryServer(_ => Task.FromResult((200, "text/plain", b.EndPoint.ToString())));
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags: [("discovery", $"svc={discovery.Url}"), ("discovery-ttl", "1s"), ("discovery-timeout", "5s")]);
        await EchoOnceAsync(edge, ClientB);

        // The answer expires; the endpoint now takes until the test releases it, and would say C.
        discovery.Handler = async _ =>
        {
            await slow.Task;
            return (200, "text/plain", c.EndPoint.ToString());
        };
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await EchoOnceAsync(edge, ClientB); // Served from the stale answer while the refresh hangs.
        await EchoOnceAsync(edge, ClientB);
        Assert.True(await TestTimeouts.EventuallyAsync(() => discovery.Requests.Count >= 2)); // The refresh runs in the background.
        Assert.Equal((2, 3, 0), (discovery.Requests.Count, b.AcceptedConnections, c.AcceptedConnections)); // One refresh for both.

        slow.SetResult();
        Assert.True(await TestTimeouts.EventuallyAsync(async () =>
        {
            await EchoOnceAsync(edge, ClientB);
            return c.AcceptedConnections > 0;
        }));
        Assert.Equal(0, a.AcceptedConnections);
    }

    [Fact]
    public async Task ActiveHealthChecks_CoverTheBackendsDiscoveryGave()
    {
        await using var a = Echo();
        var d = Echo();
        var dEndPoint = d.EndPoint;
        await using var discovery = new FakeDiscoveryServer(_ => Task.FromResult((200, "text/plain", dEndPoint.ToString())));
        await using var edge = TestEdge.Start(a.EndPoint.ToString(), flags:
            [("discovery", $"svc={discovery.Url}"), ("health-check", "tcp"), ("health-interval", "50ms"), ("health-timeout", "500ms"), ("health-fall", "1"), ("eject-after", "0")]);

        // Discovery answers d: the session goes there, and d is now a known backend. (a, the default, is checked too:
        // its accept count says nothing about where the session went.)
        await EchoOnceAsync(edge, ClientB);
        var key = new BackendKey(dEndPoint.Address.ToString(), dEndPoint.Port, ViaTunnel: false);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Backends.Find(key) is { IsHealthy: true }), "d is known and up");
        await d.DisposeAsync();

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Backends.Find(key) is { IsHealthy: false }),
            "the discovered backend is checked like a --route target and found down");
    }

    private static LoopbackBackend Echo() => LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);

    private static int ClosedPort() => FaultyListeners.RefusingEndPoint().Port;

    private static async Task EchoOnceAsync(TestEdge edge, IPAddress from)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, from);
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        client.Shutdown(SocketShutdown.Send);
        await client.ReceiveToEndAsync();
    }
}
