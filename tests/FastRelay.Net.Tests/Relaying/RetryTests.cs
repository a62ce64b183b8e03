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
        // Ejection off, so the dead backend keeps being picked (at random, as P2C does) rather than set aside.
        var dialer = new FakeUpstreamDialer("127.0.0.1:9");
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"127.0.0.1:9,{echo.EndPoint}", dialer, flags: [("retries", "0"), ("eject-after", "0")]);

        const int sessions = 40;
        var served = 0;
        for (var i = 0; i < sessions; i++)
        {
            served += await TryEchoAsync(edge.EndPoint, (byte)i) ? 1 : 0;
        }

        var failed = dialer.Dialled.Count(t => t == "127.0.0.1:9");
        Assert.Equal(sessions, dialer.Attempts); // One dial per session: nothing retried.
        Assert.InRange(failed, 1, sessions - 1);  // Both backends were picked (random: 2^-40 odds against).
        Assert.Equal(sessions - failed, served);  // Every session that picked the dead one failed.
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamUnavailable] == failed));
    }

    [Fact]
    public async Task Retries_AreBounded_AndAlwaysOnADifferentBackend()
    {
        // Three dead backends beside a live one, one retry (the default): a session tries at most two different
        // backends and gives up, rather than walking the whole route (the added load on a failing fleet is bounded).
        string[] dead = ["127.0.0.1:7", "127.0.0.1:8", "127.0.0.1:9"];
        var dialer = new FakeUpstreamDialer(dead);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start($"127.0.0.1:7,127.0.0.1:8,127.0.0.1:9,{echo.EndPoint}", dialer, flags: [("eject-after", "0")]);

        var failedSessions = 0;
        for (var i = 0; i < 30; i++)
        {
            var before = dialer.Attempts;
            var served = await TryEchoAsync(edge.EndPoint, (byte)i);
            Assert.True(await TestTimeouts.EventuallyAsync(() => served || edge.Server.Closed[CloseReason.UpstreamUnavailable] == failedSessions + 1));
            var dials = dialer.Dialled.Skip(before).ToList();
            Assert.InRange(dials.Count, 1, 2);
            Assert.Equal(dials.Count, dials.Distinct().Count()); // A retry goes to a different backend.
            Assert.Equal(served, !dead.Contains(dials[^1]));      // Served by the live one, or by nobody.
            if (!served)
            {
                Assert.Equal(2, dials.Count); // Failed only after its one retry failed too.
                failedSessions++;
            }
        }
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

        // The picker chooses at random among equals: some sessions pick the denied target first. Those must end
        // denied, never be retried on the allowed one.
        var refused = 0;
        for (var i = 0; i < 30; i++)
        {
            var acceptedBefore = allowed.AcceptedConnections;
            if (!await TryEchoAsync(edge.EndPoint, (byte)i))
            {
                refused++;
                Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == refused));
                Assert.Equal(acceptedBefore, allowed.AcceptedConnections);
            }
        }

        Assert.InRange(refused, 1, 29);
        Assert.Equal(0, denied.AcceptedConnections);
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
