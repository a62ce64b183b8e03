using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace FastRelay.TestKit;

/// <summary>
/// Ports on 127.0.0.1 for a child process to listen on, held for this test process's lifetime so that no other
/// test can be handed the same one while the child starts.
/// </summary>
/// <remarks>
/// Binding port 0 and closing at once is a race: the three test assemblies run in parallel, and any of their
/// <c>bind(0)</c> or <c>connect()</c> calls may get the port back before the child binds it. Seen in a loaded full run: an
/// edge refused its port ("already in use") while the test talked to another test's edge on it. Instead the port
/// stays bound by a socket that never listens and sets SO_REUSEADDR only: the kernel hands it to no other
/// <c>bind(0)</c> or <c>connect()</c>, yet a relay's own bind (SO_REUSEADDR, and SO_REUSEPORT for the listener) still
/// succeeds, and a client connecting while no relay listens is refused as before. About a hundred ports per run.
/// </remarks>
public static class LoopbackPorts
{
    private const int SolSocket = 1; // Linux <asm-generic/socket.h>
    private const int SoReuseAddr = 2;

    private static readonly ConcurrentBag<Socket> Held = [];

    /// <summary>A 127.0.0.1 port nothing listens on, that no other test will be given.</summary>
    public static IPEndPoint Reserve()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Raw option: .NET's ReuseAddress sets SO_REUSEPORT too, which would let a plain bind(0) share the port.
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Held.Add(socket);
            return (IPEndPoint)socket.LocalEndPoint!;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A socket listening on a 127.0.0.1 port of its own: "already in use" for a process told to bind it.</summary>
    public static Socket Occupy()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Listen(1);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
