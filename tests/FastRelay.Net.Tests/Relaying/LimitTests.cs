using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>Idle timeout and the global connection limit hold on real sockets.</summary>
public sealed class LimitTests
{
    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task IdleConnection_IsClosedAfterIdleTimeout_ActiveOneIsNot(string dataPath)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: [("idle-timeout", "3s"), ("data-path", dataPath)]);
        using var idle = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        using var busy = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        // The busy one exchanges a byte every 100 ms for 6.5 s (over two idle timeouts) and must survive: the timeout is
        // long enough that a loaded machine's pauses between two exchanges never reach it. (It was cut twice in one day:
        // AuditObserverTests, running beside it, starved the thread pool on purpose; they run alone now. A failure says
        // how long the last gap was, and every close reason so far.)
        var last = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 65; i++)
        {
            try
            {
                await busy.SendAsync(new byte[] { (byte)i }, SocketFlags.None);
                Assert.Equal((byte)i, (await busy.ReceiveExactlyAsync(1))[0]);
            }
            catch (SocketException ex)
            {
                Assert.Fail($"exchange {i}, {last.Elapsed.TotalSeconds:0.0} s after the one before: {ex.SocketErrorCode}; closed so far: " +
                    string.Join(", ", Enum.GetValues<CloseReason>().Where(r => edge.Server.Closed[r] > 0).Select(r => $"{r} {edge.Server.Closed[r]}")));
            }

            last.Restart();
            await Task.Delay(100);
        }

        Assert.True(await idle.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.IdleTimeout] == 1));
        await busy.SendAsync(new byte[] { 99 }, SocketFlags.None);
        Assert.Equal(99, (await busy.ReceiveExactlyAsync(1))[0]);
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task OverMaxConnections_NextClientIsClosedAtOnce_OthersKeepWorking(string dataPath)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: [("max-connections", "2"), ("data-path", dataPath)]);
        using var first = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        using var second = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 2));

        using var third = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        Assert.True(await third.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.ConnectionLimit] == 1));

        await first.SendAsync(new byte[] { 1 }, SocketFlags.None);
        Assert.Equal(1, (await first.ReceiveExactlyAsync(1))[0]);

        // A slot frees when a connection ends, and the next client gets it.
        second.Shutdown(SocketShutdown.Send);
        await second.ReceiveToEndAsync();
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1));
        using var fourth = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        await fourth.SendAsync(new byte[] { 4 }, SocketFlags.None);
        Assert.Equal(4, (await fourth.ReceiveExactlyAsync(1))[0]);
    }
}
