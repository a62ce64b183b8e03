using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>
/// One event loop: a thread blocked in epoll_wait over the sockets of the <see cref="EpollRelay"/>s it carries,
/// moving their bytes itself (nginx's and HAProxy's worker shape). Each relay is registered once, edge-triggered,
/// for both directions of both sockets; an event is handled on this thread from the read to the send, with no
/// task, no pipe and no thread-pool hop in between.
/// </summary>
/// <remarks>
/// <para>Registration is thread-safe (the slot table is under a lock): a relay registers from its connection's own
/// thread, so a new connection costs the loop no wake-up. After that, other threads reach a relay only through
/// <see cref="Post"/> (an abort, a connect's cancellation), drained on the loop thread, so the sockets are read and
/// written from here alone and a descriptor is never closed under a call in flight.</para>
/// <para>The epoll data word names a slot and its generation: an event fetched in the same batch as its relay's
/// end, for a slot that a new relay took over, is recognised as stale and dropped.</para>
/// <para>One read block (the scratch) serves every relay of the loop: a relay holds a block of its own only while
/// the far side will not take all it read (back-pressure), so an idle or interactive connection holds none.</para>
/// <para>A relay's end runs its owner's continuation inline here (close the sockets, report the close), as the pipe
/// path's runs on the runtime's socket threads: whatever blocks there (<c>--audit-overflow block</c>) stalls this
/// loop's other connections too.</para>
/// </remarks>
internal sealed unsafe partial class EpollLoop
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly ConcurrentQueue<IEpollHandler> _posted = new();
    private readonly BlockMemoryPool _blocks;
    private readonly SplicePipes? _pipes;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private IEpollHandler?[] _slots = new IEpollHandler?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _freeSlots = new();
    private readonly Lock _postGate = new();
    private readonly Lock _slotGate = new(); // The slot table: registered from any thread, released by the loop.
    private List<(IEpollHandler Handler, bool SecondSide)> _resumes = new();
    private List<(IEpollHandler Handler, bool SecondSide)> _resuming = new();
    private bool _closed;
    private int _slotsInUse; // High-water mark of the slot table.
    private int _active;
    private int _wakeSignalled;
    private volatile bool _stopping;

    /// <summary>Creates the epoll instance and its wake-up eventfd and starts the loop thread.</summary>
    /// <exception cref="IOException">The kernel refused epoll_create1 or eventfd (descriptor limit).</exception>
    public EpollLoop(BlockMemoryPool blocks, int index, ILogger? logger = null, SplicePipes? pipes = null)
    {
        _blocks = blocks;
        _pipes = pipes;
        _logger = logger ?? NullLogger.Instance;
        _epoll = EpollCreate(CloseOnExec);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _wake = EventFd(0, CloseOnExec | EventFdNonBlocking);
        if (_wake < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            _ = LinuxSyscalls.Close(_epoll); // Nothing to do on failure: the constructor fails either way.
            throw new IOException($"eventfd failed: errno {error}");
        }

        var wakeEvent = new EpollEvent { Events = EPOLLIN | EPOLLET, Data = WakeToken };
        _ = EpollControl(_epoll, EpollCtlAdd, _wake, &wakeEvent); // Cannot fail on a fresh epoll and eventfd.
        Scratch = blocks.Rent(blocks.BlockBytes);
        _thread = new Thread(Run) { IsBackground = true, Name = $"fastrelay-epoll-{index}" };
        _thread.Start();
    }

    /// <summary>The read block the next read goes into; a relay that must keep what it read takes it and puts a fresh one here.</summary>
    internal System.Buffers.IMemoryOwner<byte> Scratch { get; private set; }

    /// <summary>Relays registered on this loop right now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Tests only: runs inside <see cref="Register"/> between the two descriptors' ADDs, to widen that window.</summary>
    internal Action? AfterFirstAdd { get; set; }

    /// <summary>The loop has stopped or is stopping: it takes no new relay.</summary>
    public bool IsStopped => _stopping;

    /// <summary>True on the loop's own thread.</summary>
    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>
    /// Queues <paramref name="handler"/> for the loop to start, abort or cancel (its own state says which). Thread-safe.
    /// Once the loop has stopped, the handler is told so on the caller's thread instead (<see cref="IEpollHandler.AbortOnLoopStop"/>).
    /// </summary>
    public void Post(IEpollHandler handler)
    {
        // Under the gate: the loop closes the eventfd only after setting _closed under it, so a late post (a dial's
        // deadline after the edge was disposed) neither writes to a closed (or reused) descriptor nor is lost.
        lock (_postGate)
        {
            if (!_closed)
            {
                _posted.Enqueue(handler);
                if (Interlocked.Exchange(ref _wakeSignalled, 1) == 0)
                {
                    ulong one = 1;
                    _ = Write(_wake, &one, sizeof(ulong)); // Fails only when the counter is saturated, i.e. already signalled.
                }

                return;
            }
        }

        handler.AbortOnLoopStop();
    }

    /// <summary>Has the loop call <paramref name="handler"/>'s <see cref="IEpollHandler.OnResume"/> after this batch; on the loop thread only.</summary>
    internal void ScheduleResume(IEpollHandler handler, bool secondSide) => _resumes.Add((handler, secondSide));

    /// <summary>Hands the read block to a relay that holds on to it, and puts a new one in its place.</summary>
    internal System.Buffers.IMemoryOwner<byte> TakeScratch()
    {
        var taken = Scratch;
        Scratch = _blocks.Rent(_blocks.BlockBytes);
        return taken;
    }

    /// <summary>
    /// Registers <paramref name="firstFd"/> (and <paramref name="secondFd"/> unless -1, flagged as the second side) for
    /// <paramref name="events"/>. Thread-safe: a relay registers from its connection's own thread, so starting one
    /// costs no wake-up of the loop; its events may be dispatched before this returns. False when nothing was
    /// registered: the kernel refused the first descriptor (errno in <paramref name="error"/>) or the loop has stopped
    /// (<paramref name="error"/> 0). True with an errno when only the second was refused: the handler is registered and
    /// must be ended through the loop (post an abort).
    /// </summary>
    internal bool Register(IEpollHandler handler, int firstFd, int secondFd, uint events, out int error)
    {
        lock (_slotGate)
        {
            error = 0;
            if (_stopping)
            {
                return false;
            }

            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slotsInUse++;
            if (slot >= _slots.Length)
            {
                // New arrays, published before any descriptor can report this slot (the loop reads them volatile).
                var generations = _generations;
                Array.Resize(ref generations, generations.Length * 2);
                Volatile.Write(ref _generations, generations);
                var slots = _slots;
                Array.Resize(ref slots, slots.Length * 2);
                Volatile.Write(ref _slots, slots);
            }

            ++_generations[slot];
            handler.Slot = slot;
            Volatile.Write(ref _slots[slot], handler); // Before the ADD: its first event may be dispatched at once.
            var ev = new EpollEvent { Events = events, Data = Token(slot, secondSide: false) };
            if (EpollControl(_epoll, EpollCtlAdd, firstFd, &ev) != 0)
            {
                error = Marshal.GetLastPInvokeError();
                Release(slot, handler);
                return false;
            }

            ev.Data = Token(slot, secondSide: true);
            Interlocked.Increment(ref _active);
            AfterFirstAdd?.Invoke();
            if (secondFd >= 0 && EpollControl(_epoll, EpollCtlAdd, secondFd, &ev) != 0)
            {
                // The first descriptor's events may already be in the loop's hands: the slot stays registered and the
                // caller has it aborted through the loop (Unregister's DEL of the second then just fails with ENOENT).
                error = Marshal.GetLastPInvokeError();
            }

            return true;
        }
    }

    /// <summary>
    /// Changes what <paramref name="fd"/> (registered by <paramref name="handler"/>, on its <paramref name="secondSide"/>)
    /// is watched for; on the loop thread only. When the new set includes a condition that already holds, the kernel
    /// reports it at once (edge-triggered epoll re-checks on EPOLL_CTL_MOD), so nothing is missed in between.
    /// </summary>
    internal void Watch(IEpollHandler handler, int fd, bool secondSide, uint events)
    {
        // Under the slot gate: Register holds it across both ADDs, so a relay whose first socket's events arrived
        // before its second socket was added waits here until it is (a MOD before that ADD would fail with ENOENT,
        // and the writability of that socket would never be reported: found by AllocationTests.Bulk256MiB).
        lock (_slotGate)
        {
            var slot = handler.Slot;
            if (slot < 0)
            {
                return;
            }

            var ev = new EpollEvent { Events = events, Data = Token(slot, secondSide) };
            _ = EpollControl(_epoll, EpollCtlMod, fd, &ev); // ENOMEM only; the relay then waits for its idle timeout, as on a stall.
        }
    }

    /// <summary>Stops watching the descriptors of a finished handler; on the loop thread only, before its owner may close them.</summary>
    internal void Unregister(IEpollHandler handler, int firstFd, int secondFd)
    {
        // Explicit, not left to close(2): the owner closes the sockets on another thread later, and a descriptor
        // number reused by then must not still be watched here. Under the slot gate, so never before Register's
        // second ADD (ENOENT for a second descriptor that Register could not add).
        lock (_slotGate)
        {
            _ = EpollControl(_epoll, EpollCtlDel, firstFd, null);
            if (secondFd >= 0)
            {
                _ = EpollControl(_epoll, EpollCtlDel, secondFd, null);
            }

            Release(handler.Slot, handler);
            Interlocked.Decrement(ref _active);
        }
    }

    // The epoll data word: the slot's current generation, the slot, and which of its descriptors. Run decodes it.
    // Under the slot gate (the generation is read from the current array).
    private ulong Token(int slot, bool secondSide) =>
        ((ulong)(_generations[slot] & 0x7FFF_FFFF) << 32) | ((ulong)slot << 1) | (secondSide ? 1UL : 0UL);

    private void Release(int slot, IEpollHandler handler)
    {
        _slots[slot] = null;
        _generations[slot]++; // Events of this batch that still name the slot are stale now.
        _freeSlots.Push(slot);
        handler.Slot = -1;
    }

    /// <summary>Stops the loop: relays still registered are aborted, the thread ends, the descriptors are closed. Thread-safe; waits for the thread.</summary>
    public void Stop()
    {
        lock (_slotGate)
        {
            _stopping = true; // Under the slot gate: a Register either finished before or sees it.
        }

        lock (_postGate)
        {
            if (!_closed)
            {
                ulong one = 1;
                _ = Write(_wake, &one, sizeof(ulong)); // Wakes the loop whatever _wakeSignalled says.
            }
        }

        if (!IsLoopThread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        var events = stackalloc EpollEvent[MaxEvents];
        while (!_stopping)
        {
            // A flow that stopped at its read budget is resumed after the batch; meanwhile only a poll, no sleep.
            var count = EpollWait(_epoll, events, MaxEvents, _resumes.Count > 0 ? 0 : -1);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue; // A signal (a debugger): wait again.
                }

                break; // EBADF/EINVAL cannot happen on our own descriptor; never spin on it: stop, aborting what is left.
            }

            for (var i = 0; i < count; i++)
            {
                var data = events[i].Data;
                if (data == WakeToken)
                {
                    DrainPosted();
                    continue;
                }

                var slot = (int)((data >> 1) & 0x7FFF_FFFF);
                var generation = (uint)(data >> 32);
                var slots = Volatile.Read(ref _slots);
                var generations = Volatile.Read(ref _generations);
                if (slot >= slots.Length || slot >= generations.Length || Volatile.Read(ref slots[slot]) is not { } handler
                    || (Volatile.Read(ref generations[slot]) & 0x7FFF_FFFF) != generation)
                {
                    continue; // Stale: that relay ended earlier in this batch.
                }

                Guarded(handler, static (h, e) => h.OnEvents((uint)e, secondSide: (e >> 32) != 0), events[i].Events | ((data & 1) << 32));
            }

            if (_resumes.Count > 0)
            {
                (_resumes, _resuming) = (_resuming, _resumes);
                foreach (var (handler, secondSide) in _resuming)
                {
                    Guarded(handler, static (h, side) => h.OnResume(side != 0), secondSide ? 1UL : 0UL);
                }

                _resuming.Clear();
            }
        }

        // No registration after this (Register checks _stopping under the slot gate), also when the loop ended on an
        // epoll_wait error rather than Stop.
        IEpollHandler?[] left;
        lock (_slotGate)
        {
            _stopping = true;
            left = _slots[.._slotsInUse];
        }

        foreach (var handler in left)
        {
            if (handler is not null)
            {
                Guarded(handler, static (h, _) => h.AbortOnLoopStop(), 0);
            }
        }

        lock (_postGate)
        {
            _closed = true; // From here a Post ends its handler itself.
        }

        while (_posted.TryDequeue(out var handler))
        {
            Guarded(handler, static (h, _) => h.AbortOnLoopStop(), 0); // Posted before the close: never started, or an abort.
        }

        Scratch.Dispose();
        CloseIdlePipes(); // After the sweep above: every relay has given its pipe back or discarded it.

        _ = LinuxSyscalls.Close(_wake); // Nothing to do on failure: the loop is gone either way.
        _ = LinuxSyscalls.Close(_epoll);
    }

    // A handler that throws must not take the process down with the loop thread: it is logged and ended as on a loop
    // stop (its connection reset). None is expected to: this is the backstop.
    private void Guarded(IEpollHandler handler, Action<IEpollHandler, ulong> action, ulong argument)
    {
        try
        {
            action(handler, argument);
        }
        catch (Exception first)
        {
            Log.HandlerFailed(_logger, _thread.Name, first);
            try
            {
                handler.AbortOnLoopStop();
            }
            catch (Exception second)
            {
                Environment.FailFast("epoll loop: a handler failed and could not be ended", new AggregateException(first, second));
            }
        }
    }

    private void DrainPosted()
    {
        ulong value;
        _ = Read(_wake, &value, sizeof(ulong)); // Resets the counter; EAGAIN when already read is harmless.
        // A full fence, not a release store: the queue reads below must not be done before it is visible, or a Post
        // that enqueued and saw the flag still set would not signal, and its item would wait for the next Post.
        Interlocked.Exchange(ref _wakeSignalled, 0);
        while (_posted.TryDequeue(out var handler))
        {
            Guarded(handler, static (h, _) => h.OnPosted(), 0);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 206, EventName = nameof(EventIds.EpollHandlerFailed), Level = LogLevel.Error,
            Message = "Epoll loop {Loop}: a connection's handler failed (a bug); the connection is reset")]
        public static partial void HandlerFailed(ILogger logger, string? loop, Exception exception);
    }
}
