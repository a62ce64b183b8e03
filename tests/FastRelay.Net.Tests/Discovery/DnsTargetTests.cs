using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Routing;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Discovery;

/// <summary>
/// DNS-name targets resolved through a fake DNS server on loopback (--dns-server): the answer is cached for its TTL
/// clamped to --dns-min-ttl/--dns-max-ttl, re-resolved after it, and dials use the cached addresses.
/// </summary>
public sealed class DnsTargetTests
{
    [Fact]
    public async Task DnsTarget_CachedWithinTtl_ThenReResolved_FollowsTheNewAddress()
    {
        await using var first = LoopbackBackend.Start(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0), BackendMode.Echo);
        var port = first.EndPoint.Port;
        await using var second = LoopbackBackend.Start(new IPEndPoint(IPAddress.Parse("127.0.0.6"), port), BackendMode.Echo);
        await using var dns = new FakeDnsServer();
        // TTL 0: the floor applies. 3 s, not 1 s: the refresh ahead starts at 80 % of it, and the three dials below must
        // all come before that even on a loaded machine.
        dns.Records["backend.test"] = ([IPAddress.Parse("127.0.0.5")], 0);
        await using var edge = TestEdge.Start($"backend.test:{port}", flags: [("dns-server", dns.EndPoint.ToString()), ("dns-min-ttl", "3s")]);

        await EchoOnceAsync(edge);
        await EchoOnceAsync(edge);
        await EchoOnceAsync(edge);
        Assert.Equal(1, dns.AQueries["backend.test"]); // One query for three dials: cached, not per dial.
        Assert.Equal(3, first.AcceptedConnections);

        dns.Records["backend.test"] = ([IPAddress.Parse("127.0.0.6")], 0);
        await Task.Delay(TimeSpan.FromMilliseconds(3100)); // Past the 3 s floor.
        Assert.True(await TestTimeouts.EventuallyAsync(async () =>
        {
            await EchoOnceAsync(edge); // The stale answer serves while the background query runs.
            return second.AcceptedConnections > 0;
        }));
        Assert.True(dns.AQueries["backend.test"] >= 2);
    }

    [Fact]
    public async Task HealthChecks_ResolveThroughDnsServer_ANameOnlyItKnowsStaysUp_AnUnknownOneGoesDown()
    {
        // The probes used the system resolver: a name only --dns-server knows dialled fine and was marked down.
        await using var backend = LoopbackBackend.Start(new IPEndPoint(IPAddress.Parse("127.0.0.7"), 0), BackendMode.Echo);
        var port = backend.EndPoint.Port;
        await using var dns = new FakeDnsServer();
        dns.Records["checked.test"] = ([IPAddress.Parse("127.0.0.7")], 60);
        await using var edge = TestEdge.Start($"checked.test:{port},unknown.test:{port}", flags: [("dns-server", dns.EndPoint.ToString()),
            ("health-check", "tcp"), ("health-interval", "50ms"), ("health-timeout", "1s"), ("health-fall", "2"), ("eject-after", "0")]);

        BackendState? State(string host) => edge.Server.Backends.Find(new FastRelay.Routing.BackendKey(host, port, ViaTunnel: false));
        Assert.True(await TestTimeouts.EventuallyAsync(() => State("unknown.test") is { IsHealthy: false }), "the name nobody knows goes down");
        var checkedBackend = State("checked.test");
        Assert.NotNull(checkedBackend);
        var accepted = backend.AcceptedConnections;
        Assert.True(await TestTimeouts.EventuallyAsync(() => backend.AcceptedConnections >= accepted + 4), "the probes reach 127.0.0.7");
        Assert.True(checkedBackend.IsHealthy);
    }

    [Fact]
    public async Task DnsTarget_TwoAddresses_SessionsSpreadOverBoth()
    {
        await using var first = LoopbackBackend.Start(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0), BackendMode.Echo);
        var port = first.EndPoint.Port;
        await using var second = LoopbackBackend.Start(new IPEndPoint(IPAddress.Parse("127.0.0.6"), port), BackendMode.Echo);
        await using var dns = new FakeDnsServer();
        dns.Records["pair.test"] = ([IPAddress.Parse("127.0.0.5"), IPAddress.Parse("127.0.0.6")], 60);
        await using var edge = TestEdge.Start($"pair.test:{port}", flags: [("dns-server", dns.EndPoint.ToString())]);

        for (var i = 0; i < 6; i++)
        {
            await EchoOnceAsync(edge);
        }

        Assert.Equal((3, 3), (first.AcceptedConnections, second.AcceptedConnections)); // In turn, one further on per dial.
    }

    [Fact]
    public async Task DnsTarget_LongTtl_IsCappedByTheCeiling()
    {
        await using var backend = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var dns = new FakeDnsServer();
        dns.Records["capped.test"] = ([IPAddress.Loopback], 86_400);
        await using var edge = TestEdge.Start($"capped.test:{backend.EndPoint.Port}",
            flags: [("dns-server", dns.EndPoint.ToString()), ("dns-min-ttl", "1s"), ("dns-max-ttl", "1s")]);

        await EchoOnceAsync(edge);
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await EchoOnceAsync(edge);

        Assert.True(await TestTimeouts.EventuallyAsync(() => dns.AQueries["capped.test"] >= 2), "a day's TTL is re-resolved after the 1s ceiling");
    }

    [Fact]
    public async Task DnsServerDies_LastGoodAddressesKeepServing()
    {
        await using var backend = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var dns = new FakeDnsServer();
        dns.Records["kept.test"] = ([IPAddress.Loopback], 1);
        await using var edge = TestEdge.Start($"kept.test:{backend.EndPoint.Port}", flags: [("dns-server", dns.EndPoint.ToString())]);
        await EchoOnceAsync(edge);

        dns.Silent = true;
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await EchoOnceAsync(edge); // Stale while the re-resolution times out.
        await EchoOnceAsync(edge);

        Assert.Equal(3, backend.AcceptedConnections);

        // A server that never answers is a timeout in fastrelay_dns_resolutions_total, not a failure: DnsClient's own
        // timeout and retry give up (after about 4 s) before the cache's 5 s, and used to be counted as `failed`.
        var hosts = edge.Server.Discovery!.Hosts;
        Assert.True(await TestTimeouts.EventuallyAsync(() => hosts.ResolveTimedOut >= 1, TimeSpan.FromSeconds(15)), $"timeouts {hosts.ResolveTimedOut}, failures {hosts.ResolveFailed}");
        Assert.Equal(0, hosts.ResolveFailed);
    }

    [Fact]
    public async Task UnknownName_FailsTheDial_WithoutHangingTheClient()
    {
        await using var dns = new FakeDnsServer();
        await using var edge = TestEdge.Start("missing.test:80", flags: [("dns-server", dns.EndPoint.ToString())]);
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        Assert.Empty(await client.ReceiveToEndAsync()); // Closed: UpstreamUnavailable.
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[FastRelay.Diagnostics.CloseReason.UpstreamUnavailable] == 1));
    }

    [Fact]
    public async Task LocalhostTarget_WithTheSystemServers_IsResolvedByTheSystem()
    {
        // RFC 6761: localhost is not sent to the DNS servers of /etc/resolv.conf (none may answer on a test machine).
        await using var backend = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"localhost:{backend.EndPoint.Port}");

        await EchoOnceAsync(edge);
        await EchoOnceAsync(edge);

        Assert.Equal(2, backend.AcceptedConnections);
    }

    private static async Task EchoOnceAsync(TestEdge edge)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        client.Shutdown(SocketShutdown.Send);
        await client.ReceiveToEndAsync();
    }
}
