using System.Net.Sockets;

namespace FastRelay.Transport;

/// <summary>
/// The stream under an SslStream: reads and writes a socket it does not own through two reusable
/// <see cref="SocketOperation"/>s. Reusable: <see cref="Attach"/> and <see cref="Detach"/> move it from one
/// connection to the next, so a pooled TLS connection allocates no stream per client.
/// </summary>
/// <remarks>
/// <para>Why not NetworkStream: its calls report an error that happens at once (a client that reset before the read)
/// through a stack trace rendered to a string: 15 % of the edge's CPU when every TLS client reset
/// (<see cref="SocketOperation"/>). NetworkStream is also banned for pipes here, as it ends both directions at once;
/// this stream never closes, shuts down or disposes the socket, so half-close stays the owner's decision.</para>
/// <para>One read and one write may run at the same time (SslStream's contract). A second write that overlaps a
/// running one (SslStream answering a TLS 1.3 KeyUpdate while the send loop writes) goes through the socket's own
/// call instead of corrupting the running operation.</para>
/// </remarks>
internal sealed class SocketStream : Stream
{
    private readonly SocketOperation _receive = new(receive: true);
    private readonly SocketOperation _send = new(receive: false);
    private Socket? _socket;
    private Tls.TlsRecordBoundary _records;
    private bool _boundedToRecords;

    /// <summary>The attached socket.</summary>
    /// <exception cref="ObjectDisposedException">None is attached.</exception>
    public Socket Socket => _socket ?? throw new ObjectDisposedException(nameof(SocketStream), "no socket is attached");

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Reads and writes <paramref name="socket"/> from now on; with <paramref name="boundedToRecords"/>, no read
    /// returns bytes past the end of a TLS record (<see cref="Tls.TlsRecordBoundary"/>) until <see cref="Unbound"/>.
    /// </summary>
    public void Attach(Socket socket, bool boundedToRecords = false)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _records.Reset();
        _boundedToRecords = boundedToRecords;
    }

    /// <summary>Reads return whatever the socket has from now on (the handshake is over).</summary>
    public void Unbound() => _boundedToRecords = false;

    /// <summary>Lets go of the socket (the owner closes it); for the next <see cref="Attach"/>.</summary>
    public void Detach() => _socket = null;

    /// <summary>Both operations are free (tests: nothing may stay busy after a call was awaited, or every later call falls back).</summary>
    internal bool OperationsIdle => !_receive.IsBusy && !_send.IsBusy;

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var socket = Socket;
        if (_boundedToRecords && !buffer.IsEmpty)
        {
            return ReadBoundedAsync(socket, buffer, cancellationToken);
        }

        return _receive.TryRun(socket, buffer, cancellationToken, out var result) ? result : ReadOverlappingAsync(socket, buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var socket = Socket;
        if (buffer.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        return _send.TrySend(socket, buffer, cancellationToken, out var result) ? result : WriteOverlappingAsync(socket, buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        try
        {
            if (!_boundedToRecords || buffer.IsEmpty)
            {
                return Socket.Receive(buffer, SocketFlags.None);
            }

            var bounded = buffer[..Math.Min(buffer.Length, _records.Allowed)];
            var received = Socket.Receive(bounded, SocketFlags.None);
            _records.Consumed(bounded[..received]);
            return received;
        }
        catch (SocketException ex)
        {
            throw new IOException($"Unable to read data from the transport connection: {ex.Message}.", ex);
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                buffer = buffer[Socket.Send(buffer, SocketFlags.None)..];
            }
        }
        catch (SocketException ex)
        {
            throw new IOException($"Unable to write data to the transport connection: {ex.Message}.", ex);
        }
    }

    /// <inheritdoc />
    public override void Flush()
    {
        // Nothing is buffered here.
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    // Only during a handshake (a few records per connection), so the state machine this allocates is not on the data path.
    private async ValueTask<int> ReadBoundedAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var bounded = buffer[..Math.Min(buffer.Length, _records.Allowed)];
        var received = await (_receive.TryRun(socket, bounded, cancellationToken, out var result) ? result : ReadOverlappingAsync(socket, bounded, cancellationToken));
        _records.Consumed(bounded.Span[..received]);
        return received;
    }

    // Overlapping reads are not SslStream's pattern; still correct, and failing as the class promises.
    private static async ValueTask<int> ReadOverlappingAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"Unable to read data from the transport connection: {ex.Message}.", ex);
        }
    }

    private static async ValueTask WriteOverlappingAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                buffer = buffer[await socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
            }
        }
        catch (SocketException ex)
        {
            throw new IOException($"Unable to write data to the transport connection: {ex.Message}.", ex);
        }
    }
}
