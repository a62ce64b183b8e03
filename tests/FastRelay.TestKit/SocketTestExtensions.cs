using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace FastRelay.TestKit;

/// <summary>Client-side helpers for loopback tests.</summary>
public static class SocketTestExtensions
{
    /// <summary>Connects a NoDelay TCP socket to <paramref name="endPoint"/>, optionally from a given local address (127.0.0.2, ...).</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint, IPAddress? from = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(endPoint).WithTimeout();
        return socket;
    }

    /// <summary>Receives exactly <paramref name="count"/> bytes; throws <see cref="EndOfStreamException"/> on an early EOF.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WithTimeout();
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {got} of {count} bytes");
            }

            got += n;
        }

        return buffer;
    }

    /// <summary>Receives until EOF and returns everything; a reset surfaces as <see cref="SocketException"/>.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(this Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None).WithTimeout();
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }

    /// <summary>
    /// True when the peer closed or reset: a read returns EOF or throws. Waits at most <paramref name="timeout"/>;
    /// false if the connection is still open then.
    /// </summary>
    public static async Task<bool> IsClosedByPeerAsync(this Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[1];
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(timeout);
            return n == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>
    /// A listener on 127.0.0.1 for a peer that will read nothing: a 4 KiB receive buffer (inherited by what it accepts),
    /// so that whoever sends to it is held by back-pressure soon.
    /// </summary>
    public static Socket ListenForAPeerThatDoesNotRead(int backlog = 1)
    {
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }

    /// <summary>Resets the connection (RST) instead of closing it with FIN.</summary>
    public static void Reset(this Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }

    /// <summary>Deterministic pseudo-random bytes (same seed, same bytes) for byte-exact checks.</summary>
    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>SHA-256 of <paramref name="data"/> as hex.</summary>
    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));
}
