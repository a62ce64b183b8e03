using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Observing;

/// <summary>
/// The events the audit log and the metrics are built on, from real connections: one per decision in the
/// order the connection met them, and the close with its bytes, for allowed and denied connections alike.
/// </summary>
public sealed class ConnectionEventTests
{
    private const string Policy = """
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.2/32", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
        ]}
        """;

    [Fact]
    public async Task AllowedConnection_InboundOutboundClose_InOrder_WithRulesAndBytes()
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), Policy, observer))
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, IPAddress.Parse("127.0.0.2"));
            await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
            Assert.Equal(3, (await client.ReceiveExactlyAsync(3)).Length);
            client.Shutdown(SocketShutdown.Send);
            Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
            Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Count == 3));
        }

        var events = observer.Events;
        Assert.Equal([Checkpoint.Inbound, Checkpoint.Outbound, Checkpoint.Close], events.Select(e => e.Checkpoint));
        Assert.All(events, e => Assert.True(e.Allowed));
        Assert.All(events, e => Assert.Equal(events[0].ConnectionId, e.ConnectionId));
        Assert.Equal("Desk rule 0", events[0].Rule?.Label);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), events[0].Client?.Address);
        Assert.Equal("Backends rule 0", events[1].Rule?.Label);
        Assert.Equal(echo.EndPoint, events[1].Destination);
        Assert.Equal(CloseReason.Completed, events[2].Reason);
        Assert.Equal(3, events[2].BytesClientToUpstream);
        Assert.Equal(3, events[2].BytesUpstreamToClient);
        Assert.Equal("svc", events[2].Service);
    }

    [Fact]
    public async Task DeniedAtInbound_OneEvent_DefaultDeny_NoClose()
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), Policy, observer))
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, IPAddress.Parse("127.0.0.3"));
            Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
        }

        var denied = Assert.Single(observer.Events);
        Assert.Equal(Checkpoint.Inbound, denied.Checkpoint);
        Assert.False(denied.Allowed);
        Assert.Null(denied.Rule); // The default deny.
        Assert.Equal(CloseReason.FilterDenied, denied.Reason);
    }

    [Fact]
    public async Task UpstreamDown_InboundThenClose_UpstreamUnavailable()
    {
        var observer = new RecordingObserver();
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // Bound, never listening: connects are refused.
        await using (var edge = TestEdge.StartObserved(closed.LocalEndPoint!.ToString()!, policyJson: null, observer))
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, IPAddress.Loopback);
            Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
            Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Count == 2));
        }

        Assert.Equal([Checkpoint.Inbound, Checkpoint.Close], observer.Events.Select(e => e.Checkpoint));
        Assert.Null(observer.Events[0].Rule); // No policy: allowed without a rule.
        Assert.Equal(CloseReason.UpstreamUnavailable, observer.Events[1].Reason);
    }
}
