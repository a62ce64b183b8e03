using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace FastRelay.Backends;

/// <summary>What a <see cref="LoopbackBackend"/> does with the bytes it receives.</summary>
public enum BackendMode
{
    /// <summary>Writes every byte back; on the client's FIN, finishes writing and sends its own FIN.</summary>
    Echo,

    /// <summary>
    /// Discards every byte; on the client's FIN, answers with the total byte count as an 8-byte
    /// little-endian integer and closes. A client measures bulk throughput by timing until that answer.
    /// </summary>
    Sink,
}

/// <summary>
/// A small TCP backend for <c>fastrelay demo</c>, the load harness and the tests: echo or sink on a
/// loopback port. It is deliberately plain (one pooled buffer per connection, receive then send) so it
/// costs the same on the direct path and behind the relay.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="DisposeAsync"/> stops accepting and closes every open connection.
/// </remarks>
public sealed class LoopbackBackend : IAsyncDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly Socket _listener;
    private readonly BackendMode _mode;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly HashSet<Socket> _open = [];
    private long _connections;

    private LoopbackBackend(Socket listener, BackendMode mode)
    {
        _listener = listener;
        _mode = mode;
        _acceptLoop = Task.Run(AcceptLoopAsync); // Away from any caller's SynchronizationContext.
    }

    /// <summary>The bound address (with the port the OS chose when 0 was asked for).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections accepted so far.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _connections);

    /// <summary>Binds <paramref name="endPoint"/> (port 0 picks a free port) and starts accepting.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static LoopbackBackend Start(IPEndPoint endPoint, BackendMode mode)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(4096);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new LoopbackBackend(listener, mode);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return; // Disposed: the normal way out.
            }
            catch (SocketException)
            {
                // A connection reset while still in the backlog; the next accept is unaffected.
                continue;
            }

            Interlocked.Increment(ref _connections);
            client.NoDelay = true;
            lock (_open)
            {
                _open.Add(client);
            }

            _ = ServeAsync(client); // Completes on its own; errors are handled inside.
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            long total = 0;
            while (true)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                total += n;
                if (_mode == BackendMode.Echo)
                {
                    await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                }
            }

            if (_mode == BackendMode.Sink)
            {
                BitConverter.TryWriteBytes(buffer.AsSpan(0, 8), total);
                await client.SendAsync(buffer.AsMemory(0, 8), SocketFlags.None);
            }

            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client reset or we are shutting down: either way this connection is over.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            lock (_open)
            {
                _open.Remove(client);
            }

            client.Dispose();
        }
    }

    /// <summary>
    /// The client side of <see cref="BackendMode.Sink"/>: after the caller has sent its bytes and shut down its
    /// sending side, reads the sink's 8-byte count. Returns -1 if the connection ends before all 8 bytes.
    /// </summary>
    public static async Task<long> ReadSinkCountAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var count = new byte[8];
        var got = 0;
        while (got < count.Length)
        {
            var n = await socket.ReceiveAsync(count.AsMemory(got), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return -1;
            }

            got += n;
        }

        return BitConverter.ToInt64(count);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }
}
