using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>Graceful shutdown: stop accepting, let open connections finish, close the rest at the deadline.</summary>
public sealed class DrainTests
{
    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task Stop_OpenConnectionKeepsWorking_NewOnesRefused_StopEndsWhenItCloses(string dataPath)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1));

        var stopping = edge.Server.StopAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted);

        // New clients are refused by the kernel: the listener is closed.
        var refused = await Assert.ThrowsAsync<SocketException>(() => SocketTestExtensions.ConnectAsync(edge.EndPoint));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // The open one still relays, and its end ends the drain long before the deadline.
        await client.SendAsync(new byte[] { 7 }, SocketFlags.None);
        Assert.Equal(7, (await client.ReceiveExactlyAsync(1))[0]);
        client.Shutdown(SocketShutdown.Send);
        await client.ReceiveToEndAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task Stop_DeadlinePasses_ConnectionClosedWithShutdownReason(string dataPath)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1));

        await edge.Server.StopAsync(TimeSpan.FromMilliseconds(300)).WithTimeout();

        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Shutdown] == 1));
        Assert.Equal(0, edge.Server.ActiveConnections);
    }
}
