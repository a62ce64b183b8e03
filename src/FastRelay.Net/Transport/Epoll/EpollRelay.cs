using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// One plain TCP connection relayed by an <see cref="EpollLoop"/>: on each readiness event the loop thread reads
/// the socket and sends what it read to the other socket at once, with the same contract as the pipe path
/// (<see cref="DuplexRelay"/>, IPipeConnection): half-close, back-pressure, one close reason, byte counts, the
/// idle clock and <see cref="DuplexRelay.TryClose"/> from any thread.
/// </summary>
/// <remarks>
/// <para>Why a loop of our own: the pipe path costs each message a receive loop turn, a pipe flush, a pump turn,
/// a send loop turn and the runtime's epoll thread in between; at 1000 ping-pong sessions the relay spent ~27-30 µs
/// of CPU per exchange against nginx's ~21 µs (bench/README.md). Here a message is one recv(2) and one send(2).</para>
/// <para>Back-pressure: when the far side's socket buffer is full, the unsent rest stays in the block it was read
/// into (the loop hands that block over and takes a fresh one: nothing is copied), and this direction reads
/// nothing more until EPOLLOUT says the far side drained. The kernel's buffers then fill up and TCP flow control
/// slows the sender, as with the pipe path's two-block limit.</para>
/// <para>Half-close: a FIN one way is passed on (shutdown(SHUT_WR)) once everything read before it was sent; the
/// other direction keeps flowing. A reset or failure either way aborts both sockets (RST) and settles the reason
/// (the side whose socket failed: reading or writing the client is the client's).</para>
/// <para>One instance per connection, never reused: a post or an abort that arrives late (a close racing the
/// natural end) then finds a finished relay and does nothing, instead of hitting the next connection. Once
/// <see cref="RunAsync"/> has registered it (on the caller's thread), everything but <see cref="RequestAbort"/> runs on
/// the loop thread; a relay that is never registered (closed during its dial, refused by the kernel or a stopped
/// loop) ends on the caller's thread.</para>
/// <para>Fairness: one event reads at most <see cref="ReadBudget"/> blocks per direction; a flow with more waiting
/// is resumed after the loop's batch (edge-triggered epoll would not report it again), so a bulk transfer on a fast
/// path cannot starve the loop's other connections, posted aborts or its stop.</para>
/// </remarks>
internal sealed unsafe partial class EpollRelay : IValueTaskSource<RelayOutcome>, IEpollHandler
{
    private const int New = 0;
    private const int Running = 1;
    private const int Finished = 2;

    /// <summary>Most blocks one flow reads per event (1 MiB with 64 KiB blocks) before the loop's other work gets a turn.</summary>
    internal const int ReadBudget = 16;

    // Readability only at first: EPOLLOUT is added to a socket the first time a send to it comes up short
    // (WatchWritable). Registered for both from the start, every new connection woke its loop for the writability
    // of two fresh sockets, which no relay needs until a sink is full.
    private const uint ReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLET;

    private readonly Flow _toUpstream = new(RelayDirection.ClientToUpstream);
    private readonly Flow _toClient = new(RelayDirection.UpstreamToClient);
    private readonly Action _abort;
    // Inline: the owner's continuation (close both sockets, the close event, back to the pool) runs on the loop thread,
    // as the pipe path's runs on the runtime's epoll thread (inline completions, Hosting/SocketEngineSettings). Handing
    // it to the thread pool cost a wake-up and the pool's spinning per connection: 0.25-0.30 ms of relay CPU per
    // new connection against 0.19 ms on the pipe path (harness connect phase).
    private ManualResetValueTaskSourceCore<RelayOutcome> _completion = new() { RunContinuationsAsynchronously = false };
    private Socket? _client;
    private Socket? _upstream;
    private int _clientFd;
    private int _upstreamFd;
    private DuplexRelay? _relay;
    private TimeProvider _time = TimeProvider.System;
    private EpollLoop? _loop;
    private int _state;
    private int _abortRequested;
    private bool _moved;

    /// <summary>Creates the relay for one connection (<see cref="RunAsync"/> is called once).</summary>
    public EpollRelay()
    {
        _abort = RequestAbort;
    }

    /// <inheritdoc />
    public int Slot { get; set; } = -1;

    /// <summary>
    /// Relays <paramref name="client"/> and <paramref name="upstream"/> on <paramref name="loop"/> until both directions
    /// have ended or the relay is closed; the outcome's reason is <paramref name="relay"/>'s. Never throws for connection
    /// outcomes. The sockets are the caller's to dispose afterwards (the loop no longer watches them by then); after an
    /// abort they are set to reset (linger 0) on close.
    /// </summary>
    public ValueTask<RelayOutcome> RunAsync(Socket client, Socket upstream, DuplexRelay relay, TimeProvider time, EpollLoop loop)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(relay);
        ArgumentNullException.ThrowIfNull(loop);

        // The loop calls recv/send on the raw descriptors: hold a reference on each handle so that a Dispose from
        // elsewhere cannot close (and let the kernel reuse) a number while the loop may still use it.
        client.Blocking = false;
        upstream.Blocking = false;
        var clientAdded = false;
        var upstreamAdded = false;
        try
        {
            client.SafeHandle.DangerousAddRef(ref clientAdded);
            upstream.SafeHandle.DangerousAddRef(ref upstreamAdded);
        }
        catch (ObjectDisposedException)
        {
            if (clientAdded)
            {
                client.SafeHandle.DangerousRelease(); // Not left held: Dispose would wait for it for ever.
            }

            throw;
        }

        _client = client;
        _upstream = upstream;
        _clientFd = (int)client.SafeHandle.DangerousGetHandle();
        _upstreamFd = (int)upstream.SafeHandle.DangerousGetHandle();
        _toUpstream.Attach(_clientFd, _upstreamFd);
        _toClient.Attach(_upstreamFd, _clientFd);
        _relay = relay;
        _time = time;
        _loop = loop;
        var result = new ValueTask<RelayOutcome>(this, _completion.Version);

        // Registered from this thread (no wake-up of the loop per connection); the loop may run it, even to its end,
        // before StartExternal below: a relay that finished first just gets its abort hook and reason late, harmlessly.
        if (relay.Reason is not null)
        {
            // Closed during the dial (drain, idle): not one byte may move, so no registration at all.
            Volatile.Write(ref _abortRequested, 1);
            AbortNow(registered: false);
            return result;
        }

        Volatile.Write(ref _state, Running);
        if (!loop.Register(this, _clientFd, _upstreamFd, ReadEvents, out var error))
        {
            // The kernel would not watch the first socket (max_user_watches, memory: a limit, like a full connection
            // table), or the loops have stopped (the edge is shutting down).
            _state = New;
            Volatile.Write(ref _abortRequested, 1);
            relay.TryClose(error == 0 ? CloseReason.Shutdown : CloseReason.ConnectionLimit);
            AbortNow(registered: false);
            return result;
        }

        if (error != 0)
        {
            relay.TryClose(CloseReason.ConnectionLimit); // Only the first socket is watched: the loop aborts it (posted below).
        }

        relay.StartExternal(_abort); // A close that came first (drain during the dial, or just above) posts the abort now.
        return result;
    }

    /// <summary>Cuts the connection off (both sockets reset) as soon as the loop gets to it. Thread-safe, idempotent.</summary>
    public void RequestAbort()
    {
        if (Interlocked.Exchange(ref _abortRequested, 1) == 0)
        {
            _loop?.Post(this);
        }
    }

    /// <inheritdoc />
    RelayOutcome IValueTaskSource<RelayOutcome>.GetResult(short token) => _completion.GetResult(token);

    /// <inheritdoc />
    ValueTaskSourceStatus IValueTaskSource<RelayOutcome>.GetStatus(short token) => _completion.GetStatus(token);

    /// <inheritdoc />
    void IValueTaskSource<RelayOutcome>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <inheritdoc />
    public void OnPosted()
    {
        // Only aborts are posted (a start registers directly).
        if (Volatile.Read(ref _state) == Running && Volatile.Read(ref _abortRequested) != 0)
        {
            AbortNow(registered: true);
        }
    }

    /// <summary>On the loop thread: readiness on the client socket or (<paramref name="secondSide"/>) the upstream one.</summary>
    public void OnEvents(uint events, bool secondSide)
    {
        if (Volatile.Read(ref _state) != Running)
        {
            return;
        }

        // The flow that sends into this socket, and the one that reads from it.
        var into = secondSide ? _toUpstream : _toClient;
        var from = secondSide ? _toClient : _toUpstream;
        _moved = false;
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0 && into.Count > 0 && !Flush(into))
        {
            return; // The relay finished.
        }

        // Sticky: the edge that carried the FIN is consumed now, even when this flow skips the read (back-pressure).
        // Urgent data (EPOLLPRI) too: recv stops short at the urgent mark with data still queued behind it.
        from.PeerClosing |= (events & (EPOLLRDHUP | EPOLLERR | EPOLLHUP | EPOLLPRI)) != 0;
        from.Urgent |= (events & EPOLLPRI) != 0; // And splice would stop at the urgent mark for good (Flow.Urgent).
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) != 0 && !Pump(from))
        {
            return;
        }

        if (_moved)
        {
            _relay!.NoteActivity(_time.GetTimestamp());
        }
    }

    /// <inheritdoc />
    public void OnResume(bool secondSide)
    {
        if (_state != Running)
        {
            return; // Ended since it was scheduled.
        }

        _moved = false;
        if (Pump(secondSide ? _toClient : _toUpstream) && _moved)
        {
            _relay!.NoteActivity(_time.GetTimestamp());
        }
    }

    /// <inheritdoc />
    public void AbortOnLoopStop()
    {
        if (_state == Finished)
        {
            return;
        }

        Volatile.Write(ref _abortRequested, 1);
        _relay!.TryClose(CloseReason.Shutdown);
        AbortNow(registered: _state == Running);
    }

    private bool Fail(Flow flow, bool sourceFailed)
    {
        Volatile.Write(ref _abortRequested, 1); // So that TryClose's abort hook does not post to ourselves.
        _relay!.TryClose(DuplexRelay.FailureReason(flow.Direction, sourceFailed));
        AbortNow(registered: true);
        return false;
    }

    private void AbortNow(bool registered)
    {
        // Linger 0: the close that follows sends RST, so each peer learns at once that the stream did not end well.
        SetResetOnClose(_client!);
        SetResetOnClose(_upstream!);
        foreach (var flow in (ReadOnlySpan<Flow>)[_toUpstream, _toClient])
        {
            if (!flow.Ended)
            {
                flow.Ended = true;
                _relay!.DirectionEnded?.Invoke(flow.Direction);
            }
        }

        Finish(registered);
    }

    private void Finish(bool registered = true)
    {
        if (registered)
        {
            _loop!.Unregister(this, _clientFd, _upstreamFd);
        }

        _toUpstream.Release(_loop);
        _toClient.Release(_loop);
        _state = Finished;
        var outcome = _relay!.EndExternal(_toUpstream.Bytes, _toClient.Bytes);
        _client!.SafeHandle.DangerousRelease();
        _upstream!.SafeHandle.DangerousRelease();
        _client = null;
        _upstream = null;
        _relay = null;
        _completion.SetResult(outcome); // Last: the owner's continuation runs here, inline.
    }

    private static void SetResetOnClose(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer or closed: nothing left to reset.
        }
    }
}
