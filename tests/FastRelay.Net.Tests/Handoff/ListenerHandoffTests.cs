using System.Net;
using System.Net.Sockets;
using FastRelay.Handoff;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Handoff;

/// <summary>
/// The Linux trap a restart must avoid, and the mechanism that avoids it: closing a listening socket
/// resets the clients waiting in its accept queue; a listening socket passed over SCM_RIGHTS is the same
/// socket, so the process that receives it accepts those clients after the sender has closed its copy.
/// </summary>
public sealed class ListenerHandoffTests
{
    private const int Queued = 5;

    [Fact]
    public async Task ClosedListener_ResetsItsQueuedClients()
    {
        var listener = Listen();
        var clients = await QueueClientsAsync((IPEndPoint)listener.LocalEndPoint!);

        listener.Dispose(); // What a plain restart does to the old process's socket.

        foreach (var client in clients)
        {
            await Assert.ThrowsAnyAsync<SocketException>(async () => await client.ReceiveToEndAsync().WithTimeout());
            client.Dispose();
        }
    }

    [Fact]
    public async Task HandedOffListener_QueuedClientsServedByTheReceiver_AfterTheSenderClosedItsCopy()
    {
        var listener = Listen();
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var clients = await QueueClientsAsync(endPoint);

        var received = PassOverUnixSocket(listener);
        listener.Dispose(); // The old process exits; its copy of the descriptor goes.

        using (received)
        {
            Assert.Equal(endPoint, received.LocalEndPoint);
            for (var i = 0; i < Queued; i++)
            {
                using var accepted = await received.AcceptAsync().WithTimeout();
                var one = new byte[1];
                Assert.Equal(1, await accepted.ReceiveAsync(one, SocketFlags.None).WithTimeout());
                await accepted.SendAsync(one, SocketFlags.None);
                accepted.Shutdown(SocketShutdown.Both);
            }
        }

        foreach (var client in clients)
        {
            Assert.Single(await client.ReceiveToEndAsync().WithTimeout());
            client.Dispose();
        }
    }

    [Fact]
    public void PeerCredentials_SameUser_IsTrusted()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-cred-{Guid.NewGuid():N}.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen(1);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        using var accepted = server.Accept();

        Assert.Equal(PeerCredentials.CurrentUserId, PeerCredentials.PeerUserId(accepted));
        Assert.True(PeerCredentials.IsTrusted(accepted));
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        return listener;
    }

    // Connected by the kernel and waiting in the accept queue, each with one byte sent.
    private static async Task<List<Socket>> QueueClientsAsync(IPEndPoint endPoint)
    {
        var clients = new List<Socket>();
        for (var i = 0; i < Queued; i++)
        {
            var client = await SocketTestExtensions.ConnectAsync(endPoint);
            await client.SendAsync(new byte[] { (byte)i }, SocketFlags.None);
            clients.Add(client);
        }

        return clients;
    }

    private static Socket PassOverUnixSocket(Socket listener)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-scm-{Guid.NewGuid():N}.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen(1);
        using var sender = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sender.Connect(new UnixDomainSocketEndPoint(path));
        using var receiver = server.Accept();

        Assert.True(ScmRights.Send((int)sender.Handle, "x"u8, [(int)listener.Handle], out var sendError), $"errno {sendError}");
        var descriptors = new List<int>();
        Assert.Equal(1, ScmRights.Receive((int)receiver.Handle, new byte[16], descriptors, out _));
        Assert.Single(descriptors);
        return new Socket(new SafeSocketHandle(descriptors[0], ownsHandle: true));
    }
}
