using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRelay.Relaying;
using FastRelay.Tls.Native;
using FastRelay.Transport;

namespace FastRelay.Tls;

/// <summary>
/// A TLS connection as a pair of pipes, the counterpart of <see cref="SocketPipeConnection"/>: a receive
/// loop decrypts into <see cref="Input"/> (64 KiB pooled blocks), a send loop encrypts <see cref="Output"/>.
/// Reusable: <see cref="Attach"/> wraps a socket in a new SslStream (the handshake runs on <see cref="Stream"/>),
/// <see cref="Start"/> starts the loops, <see cref="CloseAsync"/> detaches and resets the pipes.
/// </summary>
/// <remarks>
/// <para>Half-close both ways (the <see cref="IPipeConnection"/> contract): the client's close_notify or FIN
/// completes <see cref="Input"/> cleanly while the other direction keeps flowing; completing
/// <see cref="Output"/> sends close_notify and then a FIN. A reset completes <see cref="Input"/> with an error
/// and <see cref="Abort"/> resets the client.</para>
/// <para>An idle connection holds no block: a zero-byte read waits for data first (SslStream passes it to
/// the socket when it has nothing buffered and releases its own buffer while idle).</para>
/// <para><see cref="Abort"/> is thread-safe; the rest is for the one owner of the connection.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Pooled: the SslStream lives from Attach to CloseAsync, which disposes it; the transport under it is reused for the pool's life and finalized if the pool drops the connection")]
internal sealed partial class TlsPipeConnection : IPipeConnection
{
    /// <summary>The largest TLS record payload: a read this big means more is probably buffered (RFC 8446 section 5.1).</summary>
    private const int MaxRecordBytes = 16 * 1024;

    private readonly Pipe _receive;
    private readonly Pipe _send;
    private readonly int _readBytes;
    private readonly SocketStream _transport = new(); // Reused: the SslStream of each client reads and writes the socket through it.
    private readonly SslRecordReader _records = new(); // Reused: reads the client's records after the handshake, where it can.
    private Socket? _socket;
    private SslStream? _stream;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private int _aborted;

    // Abort's body and CloseAsync's reset of the pipes, one at a time: an Abort that came late (the drain's, on a
    // connection whose loops had ended) must not cancel a read or flush of pipes already reset for the next connection.
    private readonly Lock _abortGate = new();
    private bool _started;

    /// <summary>Creates the pipes; <paramref name="options"/> come from <see cref="TransportOptions.Create"/>.</summary>
    public TlsPipeConnection(PipeOptions options)
    {
        _receive = new Pipe(options);
        _send = new Pipe(options);
        _readBytes = options.MinimumSegmentSize;
    }

    /// <inheritdoc />
    public PipeReader Input => _receive.Reader;

    /// <inheritdoc />
    public PipeWriter Output => _send.Writer;

    /// <summary>The TLS stream of the attached socket, for the handshake (null between uses).</summary>
    public SslStream? Stream => _stream;

    /// <summary>Wraps <paramref name="socket"/> in a new SslStream; <see cref="Abort"/> works from here on.</summary>
    public SslStream Attach(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _aborted = 0;

        // The socket stays ours: closing it gracefully or with a reset is decided here, not by the streams (the
        // transport never closes or shuts down the socket, and SslStream leaves it open). The handshake's reads stop
        // at record ends, so the client's first records stay in the socket for the record reader (Start).
        _readsRecords = ReadsRecordsDirectly && SslRecordReader.Supported; // Decided once: the take-over needs bounded handshake reads.
        _transport.Attach(socket, boundedToRecords: _readsRecords);
        _stream = new SslStream(_transport, leaveInnerStreamOpen: true);
        return _stream;
    }

    /// <summary>Starts both loops after a successful handshake.</summary>
    public void Start()
    {
        var stream = _stream ?? throw new InvalidOperationException("Attach first");
        _started = true;
        _transport.Unbound();
        RecordReaderNote = _readsRecords ? _records.TryTakeOver(stream, _socket!)
            : ReadsRecordsDirectly ? "not supported on this runtime" : "switched off";
        _receiveLoop = _records.Active ? ReceiveRecordsLoopAsync() : ReceiveLoopAsync(stream, _socket!);
        _sendLoop = SendLoopAsync(stream, _socket!);
    }

    /// <inheritdoc />
    public void Abort() => PipeTransportAbort.Run(_abortGate, ref _aborted, ref _socket, _receive, _send);

    /// <summary>
    /// Waits until every byte written to <see cref="Output"/> has been sent (or <paramref name="lingerTimeout"/>
    /// passes, then aborts), closes the stream and the socket and resets the pipes for reuse. Also ends a
    /// connection whose handshake failed (the loops never started).
    /// </summary>
    /// <returns>False when the send did not finish in time and the connection was aborted.</returns>
    public async Task<bool> CloseAsync(TimeSpan lingerTimeout)
    {
        var sentAll = true;
        try
        {
            await _sendLoop.WaitAsync(lingerTimeout);
        }
        catch (TimeoutException)
        {
            sentAll = false; // The peer stopped reading: give up on the unsent bytes rather than hold the slot.
            Abort();
        }

        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            // Graceful: close_notify and the FIN already went out (or the handshake failed); queued bytes still arrive.
            _socket?.Dispose();
            _receive.Writer.CancelPendingFlush();
        }

        await _sendLoop;
        await _receiveLoop;
        _stream?.Dispose();
        _stream = null;
        _transport.Detach();
        if (!_started)
        {
            // The handshake failed: nobody used the pipes, but Reset wants every end completed.
            _receive.Writer.Complete();
            _receive.Reader.Complete();
            _send.Writer.Complete();
            _send.Reader.Complete();
        }

        _started = false;
        _receiveLoop = Task.CompletedTask;
        _sendLoop = Task.CompletedTask;
        lock (_abortGate)
        {
            _receive.Reset();
            _send.Reset();
            _socket = null;
        }
        return sentAll;
    }

    private async Task ReceiveLoopAsync(SslStream stream, Socket socket)
    {
        var writer = _receive.Writer;
        Exception? error = null;
        try
        {
            var moreLikely = false;
            while (true)
            {
                if (!moreLikely || socket.Available == 0)
                {
                    // Wait for data without holding a block (an idle connection costs no buffer memory). After a full
                    // record more is likely, but only bytes already in the socket make it so: a client that sent exactly
                    // 16 KiB and went quiet must not park a read on a rented block (SslStream answers this wait at once
                    // when it holds the rest of a record itself). A stale wake-up of SslStream's own zero-byte read is
                    // not checked here (docs/hardening.md: it cost bulk transfers).
                    _ = await stream.ReadAsync(Memory<byte>.Empty); // Returns 0 by design: it only waits.
                }

                var memory = writer.GetMemory(_readBytes);
                var received = await stream.ReadAsync(memory);
                if (received == 0)
                {
                    break; // close_notify or FIN from the client: complete Input without an error.
                }

                // SslStream returns at most one 16 KiB record per read. When a full record came and more bytes
                // are already waiting in the socket, fill the rest of the block before flushing, so the upstream
                // gets 64 KiB sends as on the plain path rather than one per record (bench/README.md, "mTLS").
                var last = received;
                var ended = false;
                while (last >= MaxRecordBytes && memory.Length - received >= MaxRecordBytes && socket.Available > 0)
                {
                    last = await stream.ReadAsync(memory[received..]);
                    ended = last == 0;
                    if (ended)
                    {
                        break;
                    }

                    received += last;
                }

                writer.Advance(received);
                moreLikely = last >= MaxRecordBytes;
                var flush = await writer.FlushAsync();
                if (ended || flush.IsCompleted || flush.IsCanceled)
                {
                    break; // EOF after the bytes above, the reader is gone, or we were aborted.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
        {
            error = ex;
        }

        if (error is null && Volatile.Read(ref _aborted) != 0)
        {
            error = new ConnectionAbortedException();
        }

        await writer.CompleteAsync(error);
    }

    private async Task SendLoopAsync(SslStream stream, Socket socket)
    {
        var reader = _send.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync();
                var buffer = read.Buffer;
                foreach (var segment in buffer)
                {
                    await stream.WriteAsync(segment);
                }

                reader.AdvanceTo(buffer.End);
                if (read.IsCanceled)
                {
                    error = new ConnectionAbortedException();
                    break;
                }

                if (read.IsCompleted)
                {
                    // Every byte is encrypted and with the kernel: close_notify (RFC 8446 section 6.1), then
                    // the FIN, so the client sees a clean end of this direction and may keep sending. Serialized
                    // with the receive loop's decryption, which may be running right now (SslShutdown).
                    await ShutdownAsync(stream);
                    socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // A send failed (the client reset), or the writer was completed with an error (the upstream
            // failed): either way this connection must not end with a clean close_notify.
            error = ex;
            Abort();
        }

        await reader.CompleteAsync(error);
    }
}
