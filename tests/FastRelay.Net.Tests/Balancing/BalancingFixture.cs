using System.Net;
using System.Net.Sockets;
using FastRelay.Relaying;
using FastRelay.Routing;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Balancing;

/// <summary>Sessions through a test edge, one at a time, and the backend state the picker sees.</summary>
internal static class BalancingFixture
{
    /// <summary>
    /// One whole session: connect, send a byte, read its echo and the FIN, close; then wait until the edge has
    /// closed its side too, so the next session's pick sees no session outstanding (sessions that do not overlap).
    /// </summary>
    public static async Task SequentialSessionAsync(TestEdge edge)
    {
        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(edge.EndPoint).WithTimeout();
            await client.SendAsync(new byte[] { 42 }, SocketFlags.None).WithTimeout();
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[8];
            var received = await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout();
            Assert.Equal(1, received);
            Assert.Equal(42, buffer[0]);
            Assert.Equal(0, await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout());
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0), "the edge closed the session");
    }

    /// <summary>The edge's state of the backend at <paramref name="endPoint"/>, once it was picked or checked.</summary>
    public static BackendState? Backend(EdgeServer server, IPEndPoint endPoint) =>
        server.Backends.Find(new BackendKey(endPoint.Address.ToString(), endPoint.Port, ViaTunnel: false));
}
