using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>
/// Retry once elsewhere (<c>--retries</c>, issue 6): a backend killed mid-run costs no session while another backend
/// is up; a retry always goes to a different backend, at most N times; 0 turns it off; a policy denial is final.
/// </summary>
public sealed class RetryTests
{
    [Fact]
    public async Task BackendKilledMidRun_NewSessionsSucceedViaTheRetry_NoneHang()
    {
        var doomed = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var survivor = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"{doomed.EndPoint},{survivor.EndPoint}");
        await EchoAsync(edge.EndPoint, 10);
        Assert.True(doomed.AcceptedConnections > 0);

        await doomed.DisposeAsync(); // Its port now refuses: half the first picks fail and are retried.
        await EchoAsync(edge.EndPoint, 20);

        Assert.Equal(0, edge.Server.Closed[CloseReason.UpstreamUnavailable]);
    }

    [Fact]
    public async Task RetriesZero_ADeadBackendIsNotRetried_ItsSessionsCloseAtOnce()
    {
        var dialer = new FakeUpstreamDialer("127.0.0.1:9");
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"127.0.0.1:9,{echo.EndPoint}", dialer, flags: ("retries", "0"));

        var served = 0;
        for (var i = 0; i < 10; i++)
        {
            served += await TryEchoAsync(edge.EndPoint, (byte)i) ? 1 : 0;
        }

        Assert.Equal(5, served); // Round-robin: every other session picked the dead one, and nothing else.
        Assert.Equal(10, dialer.Attempts);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamUnavailable] == 5));
    }

    [Fact]
    public async Task Retries_AreBounded_AndAlwaysOnADifferentBackend()
    {
        // Three dead backends before a live one, one retry: a session picking the first dead one tries the second and
        // gives up, rather than walking the whole route (the added load on a failing fleet is bounded).
        var dialer = new FakeUpstreamDialer("127.0.0.1:7", "127.0.0.1:8", "127.0.0.1:9");
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"127.0.0.1:7,127.0.0.1:8,127.0.0.1:9,{echo.EndPoint}", dialer);

        var served = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            served.Add(await TryEchoAsync(edge.EndPoint, (byte)i));
        }

        Assert.Equal([false, false, true, true], served); // 7->8, 8->9, 9->echo, echo.
        Assert.Equal(7, dialer.Attempts);
    }

    [Fact]
    public async Task PolicyDenial_IsNeverRetried()
    {
        await using var denied = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var allowed = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var policy = $$"""
            {"SecurityGroups": [{"Name": "Edge", "Rules": [
              {"Protocol": "TCP", "SourceIP": "0.0.0.0/0", "Action": "Allow"},
              {"Protocol": "TCP", "PortRange": "{{allowed.EndPoint.Port}}", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}
            """;
        await using var edge = TestEdge.StartWithPolicy($"{denied.EndPoint},{allowed.EndPoint}", policy);

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint); // Round-robin: the first picks the denied one.
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
        Assert.Equal(0, allowed.AcceptedConnections);
    }

    // One byte there and back, then FIN; false when the edge closed (or reset) the session without an answer.
    private static async Task<bool> TryEchoAsync(IPEndPoint edge, byte value)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge);
        try
        {
            await client.SendAsync(new[] { value }, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            var back = await client.ReceiveToEndAsync().WithTimeout();
            return back.Length == 1 && back[0] == value;
        }
        catch (SocketException)
        {
            return false; // Closed with our byte unread: the kernel answers with a reset.
        }
    }

    private static async Task EchoAsync(IPEndPoint edge, int sessions)
    {
        for (var i = 0; i < sessions; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge);
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(i, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        }
    }
}
