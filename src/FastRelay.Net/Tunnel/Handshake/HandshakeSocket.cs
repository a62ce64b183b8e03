using System.Net.Sockets;

namespace FastRelay.Tunnel.Handshake;

/// <summary>Exact reads and full writes on a socket during the handshake (no pipes yet: a few small messages).</summary>
internal static class HandshakeSocket
{
    /// <summary>Reads until <paramref name="buffer"/> is full or EOF; returns the bytes read (less than asked at EOF).</summary>
    public static async ValueTask<int> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[total..], SocketFlags.None, ct);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Sends all of <paramref name="buffer"/>.</summary>
    public static async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            var sent = await socket.SendAsync(buffer, SocketFlags.None, ct);
            buffer = buffer[sent..];
        }
    }
}
