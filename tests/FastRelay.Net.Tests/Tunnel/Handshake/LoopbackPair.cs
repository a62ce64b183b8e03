using System.Net;
using System.Net.Sockets;

namespace FastRelay.Tunnel.Handshake;

/// <summary>Two connected loopback sockets (listener on 127.0.0.1:0, closed once accepted).</summary>
internal static class LoopbackPair
{
    public static async Task<(Socket Client, Socket Server)> CreateAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        server.NoDelay = true;
        return (client, server);
    }
}
