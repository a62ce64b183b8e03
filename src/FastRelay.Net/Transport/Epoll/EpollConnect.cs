using System.Net;
using System.Net.Sockets;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// A TCP connect whose wait for completion runs on an <see cref="EpollLoop"/> instead of the runtime's socket engine.
/// </summary>
/// <remarks>
/// Why: <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> registers the socket with the runtime's own
/// epoll instance for good, so once the epoll relay carries the connection every byte that arrives wakes the runtime's
/// engine thread as well as ours (seen at 1000 sessions: the runtime's epoll sets held all 1,000 upstream sockets). A
/// connect started on a non-blocking socket (which registers nothing) and watched here for EPOLLOUT leaves the socket
/// to the relay alone. A non-blocking connect says EINPROGRESS even on loopback, so the loop always sees it through.
/// </remarks>
internal sealed class EpollConnect : IEpollHandler
{
    // Inline: the dial's continuation (the rest of the connection's setup up to its relay's registration) runs on the loop
    // thread, as it ran on the runtime's epoll thread with ConnectAsync and inline completions; no thread-pool hop.
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.None);
    private readonly EpollLoop _loop;
    private readonly int _fd;
    private int _cancelled;
    private bool _registered;
    private bool _finished;

    private EpollConnect(Socket socket, EpollLoop loop)
    {
        _loop = loop;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    /// <inheritdoc />
    public int Slot { get; set; } = -1;

    /// <summary>
    /// Connects <paramref name="socket"/> to <paramref name="endPoint"/>, waiting on <paramref name="loop"/>; throws what
    /// <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> throws (SocketException with the connect's error,
    /// OperationCanceledException when <paramref name="cancellationToken"/> fires first).
    /// </summary>
    public static async Task ConnectAsync(Socket socket, IPEndPoint endPoint, EpollLoop loop, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        socket.Blocking = false;
        switch (StartConnect(socket, endPoint))
        {
            case 0:
                return; // Done at once (Linux says EINPROGRESS even on loopback, but connect(2) allows it).
            case EINPROGRESS:
                break; // The handshake is under way; its outcome is reported as writability plus SO_ERROR.
            case var failed:
                throw new SocketException((int)ToSocketError(failed));
        }

        var connect = new EpollConnect(socket, loop);
        var added = false;
        socket.SafeHandle.DangerousAddRef(ref added); // The loop watches the raw number until it is done with it.
        try
        {
            // Registered from this thread (no wake-up of the loop to start it); the loop may finish it before this returns.
            connect._registered = true;
            if (!loop.Register(connect, connect._fd, -1, EPOLLOUT | EPOLLET, out var refused))
            {
                connect._registered = false;
                if (refused == 0)
                {
                    throw new OperationCanceledException("the edge is shutting down"); // The loop has stopped.
                }

                throw new SocketException((int)SocketError.NoBufferSpaceAvailable); // ENOMEM/ENOSPC (max_user_watches).
            }

            await using (cancellationToken.UnsafeRegister(static s => ((EpollConnect)s!).Cancel(), connect))
            {
                await connect._done.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            socket.SafeHandle.DangerousRelease();
        }

        cancellationToken.ThrowIfCancellationRequested();
        var error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error != 0)
        {
            throw new SocketException(error); // ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ...: the same codes ConnectAsync reports.
        }
    }

    // connect(2) on the raw descriptor: Socket.Connect on a non-blocking socket reports EINPROGRESS by throwing, and an
    // exception per dial doubled the relay's CPU per new connection (0.33 against 0.17 ms in the harness's connect phase).
    private static unsafe int StartConnect(Socket socket, IPEndPoint endPoint)
    {
        var address = endPoint.Serialize(); // The platform's sockaddr (in or in6) on Unix.
        var bytes = address.Buffer.Span[..address.Size];
        fixed (byte* sockaddr = bytes)
        {
            if (LinuxSyscalls.Connect((int)socket.SafeHandle.DangerousGetHandle(), sockaddr, (uint)bytes.Length) == 0)
            {
                return 0;
            }

            // EINTR: the connect goes on in the background (connect(2)); retrying would only say EALREADY.
            var error = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            return error == EINTR ? EINPROGRESS : error;
        }
    }

    /// <inheritdoc />
    public void OnPosted()
    {
        // Only a cancellation is posted (the start registers directly).
        if (Volatile.Read(ref _cancelled) != 0)
        {
            Finish();
        }
    }

    /// <inheritdoc />
    public void OnEvents(uint events, bool secondSide) => Finish(); // Writable or failed: SO_ERROR tells which.

    /// <inheritdoc />
    public void OnResume(bool secondSide)
    {
        // Never scheduled: a connect reads nothing.
    }

    /// <inheritdoc />
    /// <remarks>The connect did not complete (SO_ERROR would still read 0 in SYN_SENT): it fails as cancelled.</remarks>
    public void AbortOnLoopStop() => Finish(cancelled: true);

    private void Cancel()
    {
        if (Interlocked.Exchange(ref _cancelled, 1) == 0)
        {
            _loop.Post(this);
        }
    }

    // Once: stop watching, then wake the dial (its continuation runs here, inline).
    private void Finish(bool cancelled = false)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        if (_registered)
        {
            _loop.Unregister(this, _fd, -1);
        }

        if (cancelled)
        {
            _done.TrySetCanceled();
        }
        else
        {
            _done.TrySetResult();
        }
    }
}
