using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace FastRelay.Transport;

/// <summary>
/// One reusable receive or send on a socket, awaitable without an allocation: a <see cref="SocketAsyncEventArgs"/>
/// that is its own <see cref="IValueTaskSource{TResult}"/>. One call at a time: <see cref="TryRun"/> refuses a
/// second while the first is not yet awaited to its end.
/// </summary>
/// <remarks>
/// <para>A failure becomes an <see cref="IOException"/> (inner <see cref="SocketException"/>, as NetworkStream
/// reports it) that is created but not thrown here: it is thrown once, where the caller awaits. .NET's own ValueTask
/// socket calls instead stamp an error that happens at once with <c>ExceptionDispatchInfo.SetCurrentStackTrace</c>,
/// which renders the whole stack trace to a string through reflection; with a client that resets right after its
/// TLS handshake, that rendering was 15 % of the relay's CPU (bench/README.md, "A reset costs a stack trace").</para>
/// <para>Cancellation shuts the socket down both ways, which wakes the pending call (the kernel reports the socket
/// readable and writable): the one caller that passes a token is the TLS handshake, whose deadline ends the
/// connection anyway. A plain socket call cannot be cancelled alone without that same rendering.</para>
/// </remarks>
internal sealed class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<int>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<int> _core; // A mutable struct: never readonly.
    private CancellationTokenRegistration _cancellation;
    private Socket? _socket;
    private int _busy; // From the start of a call until its result is taken (GetResult), so Reset never races a waiter.
    private readonly bool _receive;

    /// <summary>A receive (true) or a send (false) operation.</summary>
    public SocketOperation(bool receive)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _receive = receive;
        _core.RunContinuationsAsynchronously = false; // Like the runtime's own: the socket engine's thread runs on.
    }

    /// <summary>A call is running or its result has not been taken yet (tests: the operation must be free after each await).</summary>
    internal bool IsBusy => Volatile.Read(ref _busy) != 0;

    /// <summary>
    /// Receives into (or sends all of) <paramref name="buffer"/>; false, with nothing started, while an earlier call
    /// is still running. The result is the byte count (0 on a receive: the peer's FIN, or a zero-byte receive that
    /// only waited for data); it must be awaited once.
    /// </summary>
    public bool TryRun(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken, out ValueTask<int> result)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            result = default;
            return false;
        }

        // Decided by what the kernel call returned, never by asking a pending result whether it is done yet: it may
        // complete on another thread in between, and then nothing would take its result and free this object.
        if (Start(socket, buffer, cancellationToken, out var transferred, out var failure))
        {
            result = new ValueTask<int>(this, _core.Version);
            return true;
        }

        Volatile.Write(ref _busy, 0); // Over at once: nothing will call GetResult on this object.
        result = failure is null ? new ValueTask<int>(transferred) : ValueTask.FromException<int>(failure);
        return true;
    }

    /// <summary>
    /// Waits until <paramref name="socket"/> has bytes to read, its end or an error, without a buffer: a zero-byte
    /// receive, again after a stale wake-up.
    /// </summary>
    /// <remarks>
    /// <para>The runtime completes a zero-byte receive on a readiness event without looking at the socket, and an
    /// event can be stale: bytes that came while the caller's loop was running, which that loop has read since. A
    /// caller that then rents a block and receives into it parks on the block until the peer speaks again: an idle
    /// connection holding 64 KiB (docs/hardening.md, "A block held by an idle connection"). So every wait is checked
    /// with poll(2), which reports data, the end of the stream and a reset as readable, and made again if nothing is
    /// there: one that went pending, and one that completed at once too (usually the runtime's own peek that found
    /// bytes, but also a stale event it noticed, its sequence number moved, while it started the call).</para>
    /// <para>While an earlier call still runs on this object (never in the callers' loops), the socket's own call
    /// waits instead, unchecked. A pending wait continues on a pooled box: no allocation. Not used under SslStream
    /// (SocketStream): checking its waits cost mTLS bulk transfers on 8 streams about 10 % (docs/hardening.md).</para>
    /// </remarks>
    public ValueTask<int> WaitForDataAsync(Socket socket, CancellationToken cancellationToken) =>
        StartWait(socket, cancellationToken, out var failure) switch
        {
            WaitStep.Readable => new ValueTask<int>(0),
            WaitStep.Failed => ValueTask.FromException<int>(failure!), // Thrown once, where the caller awaits (as TryRun).
            var step => WaitOnAsync(socket, step, cancellationToken),
        };

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitOnAsync(Socket socket, WaitStep step, CancellationToken cancellationToken)
    {
        // One loop, not one more nested wait per stale wake-up in a row.
        while (true)
        {
            if (step == WaitStep.Busy)
            {
                return await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            }

            _ = await new ValueTask<int>(this, _core.Version);
            cancellationToken.ThrowIfCancellationRequested(); // Cancelling shuts the socket down, which polls readable.
            if (IsReadable(socket))
            {
                return 0;
            }

            step = StartWait(socket, cancellationToken, out var failure);
            if (step == WaitStep.Readable)
            {
                return 0;
            }

            if (step == WaitStep.Failed)
            {
                throw failure!;
            }
        }
    }

    // Starts a zero-byte receive; one that completes at once without an error is checked, and made again if stale.
    private WaitStep StartWait(Socket socket, CancellationToken cancellationToken, out Exception? failure)
    {
        while (true)
        {
            failure = null;
            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                return WaitStep.Busy;
            }

            if (Start(socket, Memory<byte>.Empty, cancellationToken, out _, out failure))
            {
                return WaitStep.Pending;
            }

            Volatile.Write(ref _busy, 0);
            if (failure is not null)
            {
                return WaitStep.Failed;
            }

            if (IsReadable(socket))
            {
                return WaitStep.Readable;
            }
        }
    }

    private enum WaitStep
    {
        Pending,
        Readable,
        Failed,
        Busy, // An earlier call still runs on this object: the socket's own call waits instead.
    }

    /// <summary>poll(2) says <paramref name="socket"/> has bytes, its end, or an error to read.</summary>
    internal static bool IsReadable(Socket socket) => socket.Poll(0, SelectMode.SelectRead);

    /// <summary>
    /// Sends all of <paramref name="buffer"/> (on Linux a stream socket's send completes only once every byte is with
    /// the kernel, or failed); false, with nothing started, while an earlier call is still running.
    /// </summary>
    public bool TrySend(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken, out ValueTask result)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            result = default;
            return false;
        }

        if (Start(socket, MemoryMarshal.AsMemory(buffer), cancellationToken, out _, out var failure))
        {
            result = new ValueTask(this, _core.Version); // This object is the source, without the count.
            return true;
        }

        Volatile.Write(ref _busy, 0);
        result = failure is null ? ValueTask.CompletedTask : ValueTask.FromException(failure);
        return true;
    }

    // True when the call is pending (its end comes through OnCompleted); else it is over, with its count or failure.
    private bool Start(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken, out int transferred, out Exception? failure)
    {
        transferred = 0;
        if (cancellationToken.IsCancellationRequested)
        {
            failure = new OperationCanceledException(cancellationToken);
            return false;
        }

        _core.Reset();
        _socket = socket;
        try
        {
            SetBuffer(buffer);
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static state => ((SocketOperation)state!).ShutDown(), this);
            }

            if (_receive ? socket.ReceiveAsync(this) : socket.SendAsync(this))
            {
                failure = null;
                return true;
            }
        }
        catch (Exception ex)
        {
            // Disposed (Abort from another thread), or the runtime refused to start the call: no operation is
            // pending, so this object is free again. The callers catch IOException and ObjectDisposedException.
            Finish();
            failure = ex switch
            {
                ObjectDisposedException => ex,
                SocketException socketError => CreateException(socketError.SocketErrorCode),
                _ => new IOException($"The transport connection could not start a {(_receive ? "receive" : "send")}: {ex.Message}", ex),
            };
            return false;
        }

        var error = SocketError;
        transferred = BytesTransferred;
        Finish();
        failure = error == SocketError.Success ? null : CreateException(error);
        return false;
    }

    /// <inheritdoc />
    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        var error = SocketError;
        var transferred = BytesTransferred;
        try
        {
            Finish();
        }
        finally
        {
            // Whatever happens above, the waiter wakes: this runs on the socket engine's thread.
            if (error == SocketError.Success)
            {
                _core.SetResult(transferred);
            }
            else
            {
                _core.SetException(CreateException(error));
            }
        }
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        if (token != _core.Version || _core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            // Awaited twice, or taken (.Result) before the call ended: either way not this caller's to free.
            throw new InvalidOperationException("a SocketOperation result was taken twice or before its call ended");
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    void IValueTaskSource.GetResult(short token) => _ = ((IValueTaskSource<int>)this).GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    // The caller's buffer (often a pooled block) and the socket are let go of as soon as the call is over.
    private void Finish()
    {
        _cancellation.Dispose();
        _cancellation = default;
        _socket = null;
        try
        {
            SetBuffer(Memory<byte>.Empty);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            // Disposed while the call was pending (the runtime then disposes on completion), or the runtime still
            // counts a call as running (a start it refused): nothing to let go of, and nothing may throw from here.
        }
    }

    private void ShutDown()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed, reset or shut down: the pending call ends by itself.
        }
    }

    private IOException CreateException(SocketError error)
    {
        var inner = new SocketException((int)error);
        var verb = _receive ? "read data from" : "write data to";
        return new IOException($"Unable to {verb} the transport connection: {inner.Message}.", inner);
    }
}
