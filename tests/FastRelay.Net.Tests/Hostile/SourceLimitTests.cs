using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Hostile;

/// <summary>
/// <c>--max-connections-per-source</c>: one address cannot hold more than its share, is refused cleanly (EOF,
/// its own close reason, an Accept event for the audit log), other addresses are served, and a slot it frees
/// is its own again.
/// </summary>
public sealed class SourceLimitTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Desk = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task OverPerSourceLimit_ThatSourceIsRefused_OtherSourceServed_FreedSlotReused()
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), null, observer, flags: ("max-connections-per-source", "3"));
        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await EchoingClientAsync(edge.EndPoint, Attacker, (byte)i));
        }

        using var fourth = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Attacker);
        Assert.True(await fourth.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.SourceConnectionLimit] == 1));

        using var desk = await EchoingClientAsync(edge.EndPoint, Desk, 7);

        // A connection of the attacker's ends: its slot is free for that address again.
        held[0].Shutdown(SocketShutdown.Send);
        await held[0].ReceiveToEndAsync();
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 3));
        using var again = await EchoingClientAsync(edge.EndPoint, Attacker, 9);

        var refusal = Assert.Single(observer.Events, e => e.Reason == CloseReason.SourceConnectionLimit);
        Assert.Equal(Checkpoint.Accept, refusal.Checkpoint);
        Assert.False(refusal.Allowed);
        Assert.Equal(Attacker, refusal.Client!.Address);
        Assert.Contains("--max-connections-per-source", refusal.Detail, StringComparison.Ordinal);
        held.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task DualStackListener_TheRefusalNamesTheSourceAsTheAuditRowDoes()
    {
        // On [::] an IPv4 client's address is ::ffff:127.0.0.2; the detail said so while src_ip said 127.0.0.2.
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithFlags(
            [("listen", "svc@[::]:0"), ("route", $"svc={echo.EndPoint}"), ("max-connections-per-source", "1")], observer: observer);
        var port = edge.EndPoint.Port;
        using var first = await EchoingClientAsync(new IPEndPoint(IPAddress.Loopback, port), Attacker, 1);
        using var second = await SocketTestExtensions.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Attacker);
        Assert.True(await second.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Reason == CloseReason.SourceConnectionLimit)));

        var refusal = Assert.Single(observer.Events, e => e.Reason == CloseReason.SourceConnectionLimit);
        Assert.Contains("already open from 127.0.0.2 (", refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PerSourceLimit_KeepsGlobalSlotsForOthers_WhereTheGlobalLimitAloneWouldNot()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);

        // Without the per-source limit the attacker takes every slot and the desk is refused.
        await using (var open = TestEdge.Start(echo.EndPoint.ToString(), flags: ("max-connections", "20")))
        {
            var flood = await FloodAsync(open.EndPoint, 40);
            Assert.True(await TestTimeouts.EventuallyAsync(() => open.Server.ActiveConnections == 20));
            using var refused = await SocketTestExtensions.ConnectAsync(open.EndPoint, Desk);
            Assert.True(await refused.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
            flood.ForEach(s => s.Dispose());
            Assert.True(await TestTimeouts.EventuallyAsync(() => open.Server.ActiveConnections == 0));
        }

        await using var limited = TestEdge.Start(echo.EndPoint.ToString(), flags: [("max-connections", "20"), ("max-connections-per-source", "5")]);
        var held = await FloodAsync(limited.EndPoint, 40);
        Assert.True(await TestTimeouts.EventuallyAsync(() => limited.Server.Closed[CloseReason.SourceConnectionLimit] == 35));
        Assert.Equal(5, limited.Server.ActiveConnections);
        using var desk = await EchoingClientAsync(limited.EndPoint, Desk, 1);
        held.ForEach(s => s.Dispose());
    }

    [Fact]
    public void SourceConnectionTable_CountsMappedIPv4AsIPv4_AndForgetsAnAddressWithNoConnections()
    {
        var table = new FastRelay.Relaying.SourceConnectionTable(2);
        Assert.True(table.TryAdd(IPAddress.Parse("10.0.0.1")));
        Assert.True(table.TryAdd(IPAddress.Parse("::ffff:10.0.0.1"))); // A dual-stack listener's view of the same client.
        Assert.False(table.TryAdd(IPAddress.Parse("10.0.0.1")));
        Assert.True(table.TryAdd(IPAddress.Parse("10.0.0.2")));
        Assert.Equal(2, table.Sources);

        table.Remove(IPAddress.Parse("::ffff:10.0.0.1"));
        Assert.True(table.TryAdd(IPAddress.Parse("10.0.0.1")));
        table.Remove(IPAddress.Parse("10.0.0.1"));
        table.Remove(IPAddress.Parse("10.0.0.1"));
        table.Remove(IPAddress.Parse("10.0.0.2"));
        Assert.Equal(0, table.Sources); // Bounded by open connections, not by every address ever seen.
    }

    private static async Task<List<Socket>> FloodAsync(IPEndPoint edge, int count)
    {
        var sockets = new List<Socket>();
        for (var i = 0; i < count; i++)
        {
            sockets.Add(await SocketTestExtensions.ConnectAsync(edge, Attacker));
        }

        return sockets;
    }

    private static async Task<Socket> EchoingClientAsync(IPEndPoint edge, IPAddress from, byte value)
    {
        var socket = await SocketTestExtensions.ConnectAsync(edge, from);
        await socket.SendAsync(new[] { value }, SocketFlags.None);
        Assert.Equal(value, (await socket.ReceiveExactlyAsync(1))[0]);
        return socket;
    }
}
