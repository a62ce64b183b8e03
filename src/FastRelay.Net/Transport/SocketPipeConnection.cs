using System.IO.Pipelines;
using System.Net.Sockets;
using FastRelay.Relaying;

namespace FastRelay.Transport;

/// <summary>
/// A socket as a pair of pipes: a receive loop fills <see cref="Input"/>, a send loop drains
/// <see cref="Output"/> (the shape of Kestrel's SocketConnection). Reusable: <see cref="Start"/> attaches a
/// socket, <see cref="CloseAsync"/> detaches it and resets the pipes for the next one.
/// </summary>
/// <remarks>
/// <para>Built on the socket directly, not on NetworkStream or Pipelines.Sockets.Unofficial's
/// SocketConnection, for three traps measured here (tests in SocketPipeConnectionTests):
/// pipes over NetworkStream close the whole socket when one direction ends (no half-close);
/// SocketConnection drops unsent bytes when disposed at once, with no way to await its send loop
/// (<see cref="CloseAsync"/> awaits ours); and reads sized by the pipe's default 4 KiB segments cost
/// 3-4x the CPU of 64 KiB ones.</para>
/// <para>An idle connection holds no buffer: the receive loop waits for data with a zero-byte read before
/// renting a block (Kestrel's WaitForDataBeforeAllocatingBuffer), unless the last read filled its block,
/// when more data is almost certainly queued.</para>
/// <para><see cref="Abort"/> is thread-safe; the rest is for the one owner of the connection.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Pooled for the process's life: the two operations are reused by every connection, and finalized if the pool drops one")]
internal sealed class SocketPipeConnection : IPipeConnection
{
    private readonly Pipe _receive;
    private readonly Pipe _send;
    private readonly int _readBytes;
    // Reused calls (a reset costs no rendered stack trace: SocketOperation), made on the first Start: a connection
    // the epoll path carries never starts these pipes, and must not pay ~0.6 KiB for them.
    private SocketOperation? _receiveCall;
    private SocketOperation? _sendCall;
    private Socket? _socket;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private int _aborted;

    // Abort's body and CloseAsync's reset of the pipes, one at a time: an Abort that came late (the drain's, on a
    // connection whose loops had ended) must not cancel a read or flush of pipes already reset for the next connection.
    private readonly Lock _abortGate = new();

    /// <summary>Creates the pipes; <paramref name="options"/> come from <see cref="TransportOptions.Create"/>.</summary>
    public SocketPipeConnection(PipeOptions options)
    {
        _receive = new Pipe(options);
        _send = new Pipe(options);
        _readBytes = options.MinimumSegmentSize;
    }

    /// <inheritdoc />
    public PipeReader Input => _receive.Reader;

    /// <inheritdoc />
    public PipeWriter Output => _send.Writer;

    /// <summary>The attached socket (null between uses).</summary>
    public Socket? Socket => _socket;

    /// <summary>Attaches <paramref name="socket"/> and starts both loops.</summary>
    public void Start(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _aborted = 0;
        _receiveCall ??= new SocketOperation(receive: true);
        _sendCall ??= new SocketOperation(receive: false);
        _receiveLoop = ReceiveLoopAsync(socket);
        _sendLoop = SendLoopAsync(socket);
    }

    /// <inheritdoc />
    public void Abort() => PipeTransportAbort.Run(_abortGate, ref _aborted, ref _socket, _receive, _send);

    /// <summary>
    /// Waits until every byte written to <see cref="Output"/> has been sent (or <paramref name="lingerTimeout"/>
    /// passes, then aborts), closes the socket and resets the pipes for reuse. Call after the user of
    /// the pipes has completed <see cref="Input"/> and <see cref="Output"/>.
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
            // The peer stopped reading: give up on the unsent bytes rather than hold the slot forever.
            sentAll = false;
            Abort();
        }

        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            // A graceful close: the FIN already went out and the kernel still delivers queued bytes.
            // (Linger 0 here would reset, and a peer that has not read everything yet would lose it.)
            _socket?.Dispose();
            _receive.Writer.CancelPendingFlush();
        }

        await _sendLoop;
        await _receiveLoop;
        lock (_abortGate)
        {
            _receive.Reset();
            _send.Reset();
            _socket = null;
        }
        return sentAll;
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var writer = _receive.Writer;
        Exception? error = null;
        try
        {
            var lastReadFilledBlock = false;
            while (true)
            {
                if (!lastReadFilledBlock || socket.Available == 0)
                {
                    // Wait for data without holding a block (an idle connection then costs no buffer memory). A read
                    // that filled its block makes more likely, but only bytes already queued make it so: a peer that
                    // sent exactly a block and went quiet must not park a receive on a rented block.
                    // Not fooled by a stale readiness event (SocketOperation.WaitForDataAsync), nor by one the runtime
                    // noticed while starting the wait: a poll(2) per wait here, where a wait comes once per receive.
                    await _receiveCall!.WaitForDataAsync(socket, default);
                }

                var memory = writer.GetMemory(_readBytes);
                var received = await ReceiveAsync(socket, memory);
                if (received == 0)
                {
                    break; // FIN from the peer: complete Input without an error.
                }

                writer.Advance(received);
                lastReadFilledBlock = received == memory.Length;
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break; // The reader is gone or we were aborted.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = ex;
        }

        if (error is null && Volatile.Read(ref _aborted) != 0)
        {
            error = new ConnectionAbortedException();
        }

        await writer.CompleteAsync(error);
    }

    private async Task SendLoopAsync(Socket socket)
    {
        var reader = _send.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync();
                var buffer = read.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await SendAsync(socket, buffer.First);
                }
                else
                {
                    await SendSegmentsAsync(socket, buffer, this);
                }

                reader.AdvanceTo(buffer.End);
                if (read.IsCanceled)
                {
                    error = new ConnectionAbortedException();
                    break;
                }

                if (read.IsCompleted)
                {
                    // Every byte is with the kernel: now the FIN, so the peer sees a clean end of this direction.
                    socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // A send failed (the peer reset), or the writer was completed with an error (the other side
            // of the relay failed): either way this connection must not end with a clean FIN.
            error = ex;
            Abort();
        }

        await reader.CompleteAsync(error);
    }

    // Kept out of SendLoopAsync so that the loop's state, which every idle connection holds twice, does not carry
    // a sequence enumerator: 9,500 idle connections, ClrMD heap walk (bench/README.md, "Hostile input and memory").
    private static async ValueTask SendSegmentsAsync(Socket socket, System.Buffers.ReadOnlySequence<byte> buffer, SocketPipeConnection owner)
    {
        foreach (var segment in buffer)
        {
            await owner.SendAsync(socket, segment);
        }
    }

    // The loops never overlap their own calls, so the reused operation is always free; the socket's call is the fallback.
    private ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> memory) =>
        _receiveCall!.TryRun(socket, memory, default, out var result) ? result : socket.ReceiveAsync(memory, SocketFlags.None);

    private ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> memory)
    {
        if (_sendCall!.TrySend(socket, memory, default, out var result))
        {
            return result;
        }

        return SendBySocketAsync(socket, memory);

        static async ValueTask SendBySocketAsync(Socket socket, ReadOnlyMemory<byte> memory) => await socket.SendAsync(memory, SocketFlags.None);
    }
}

/// <summary>The connection was aborted locally (idle timeout, shutdown, or the other side of the relay failed).</summary>
public sealed class ConnectionAbortedException() : IOException("The connection was aborted.");
