using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace FastRelay.Bench.Client;

/// <summary>
/// The client's socket primitives: connect with a timeout, send all, receive exactly, read to FIN.
/// </summary>
/// <remarks>
/// The send/receive helpers use the pooling ValueTask builder, and Socket's ValueTask overloads reuse one cached
/// SocketAsyncEventArgs per direction, so an exchange allocates nothing once warm: the client shares two cores
/// with the relay and the backend, and every byte it allocates is GC time charged to both paths.
/// Not thread-safe per socket beyond one sender and one receiver at a time, as Socket itself.
/// </remarks>
internal static class ClientSocket
{
    /// <summary>Connects with Nagle off. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"connect to {endPoint} took longer than {timeout.TotalMilliseconds:0} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends every byte of <paramref name="data"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; returns fewer bytes only when the peer sent FIN first.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<int> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var received = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                break;
            }

            filled += received;
        }

        return filled;
    }

    /// <summary>
    /// Half-closes the send side, then reads until the peer's FIN. Returns how many bytes arrived in between,
    /// which is 0 for a correct echo that has already answered everything.
    /// </summary>
    public static ValueTask<long> CloseAndCountRestAsync(Socket socket, Memory<byte> scratch, CancellationToken cancellationToken)
    {
        socket.Shutdown(SocketShutdown.Send);
        return CountUntilFinAsync(socket, scratch, cancellationToken);
    }

    /// <summary>Reads (into <paramref name="scratch"/>, overwritten) until the peer's FIN; returns the byte count.</summary>
    public static async ValueTask<long> CountUntilFinAsync(Socket socket, Memory<byte> scratch, CancellationToken cancellationToken)
    {
        long count = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(scratch, SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                return count;
            }

            count += received;
        }
    }

    /// <summary>Whether <paramref name="exception"/> is a network outcome a phase reports as a failure value.</summary>
    public static bool IsNetworkFailure(Exception exception) =>
        exception is SocketException or TimeoutException or ObjectDisposedException or IOException;
}
