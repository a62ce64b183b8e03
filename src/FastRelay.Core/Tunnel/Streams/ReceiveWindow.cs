using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Streams;

/// <summary>
/// One stream's receive side of flow control (§4.6), in the "OnRead" mode: credit is given back only when
/// the consumer has drained at least half the window (rust-yamux#109), never on mere arrival, so a slow
/// reader holds at most one window of memory (rust-libp2p#2089). The window's bytes are reserved in the
/// connection's <see cref="ReceiveBudget"/>, and auto-tuning grows the window (up to
/// <see cref="MaxAutoTunedWindow"/>) only while the budget has room.
/// </summary>
/// <remarks>Thread-safe: the read loop calls <see cref="TryReceive"/>, the consumer <see cref="OnConsumed"/>.</remarks>
internal sealed class ReceiveWindow
{
    /// <summary>The most a stream's window grows to by auto-tuning (§4.6).</summary>
    public const int MaxAutoTunedWindow = 16 * 1024 * 1024;

    private readonly ReceiveBudget _budget;
    private readonly object _gate = new();
    private long _window;
    private long _outstanding;
    private long _buffered;
    private long _unacknowledged;
    private long _lastUpdateTimestamp;
    private bool _closed;

    /// <summary>
    /// Reserves <paramref name="initialWindow"/> in <paramref name="budget"/>; use <see cref="TryCreate"/> so
    /// a full budget refuses the stream instead of throwing.
    /// </summary>
    private ReceiveWindow(ReceiveBudget budget, int initialWindow, long nowTimestamp)
    {
        _budget = budget;
        _window = initialWindow;
        _outstanding = initialWindow;
        _lastUpdateTimestamp = nowTimestamp;
    }

    /// <summary>The current window (grows with auto-tuning).</summary>
    public long Window
    {
        get
        {
            lock (_gate)
            {
                return _window;
            }
        }
    }

    /// <summary>Bytes received and not yet consumed.</summary>
    public long Buffered
    {
        get
        {
            lock (_gate)
            {
                return _buffered;
            }
        }
    }

    /// <summary>A window of <paramref name="initialWindow"/>, or null when the budget cannot hold it (refuse the stream).</summary>
    public static ReceiveWindow? TryCreate(ReceiveBudget budget, int initialWindow, long nowTimestamp) =>
        budget.TryReserve(initialWindow) ? new ReceiveWindow(budget, initialWindow, nowTimestamp) : null;

    /// <summary>A DATA body of <paramref name="bytes"/> arrived. False when it exceeds the credit the peer holds: FLOW_CONTROL.</summary>
    public bool TryReceive(int bytes)
    {
        lock (_gate)
        {
            if (bytes > _outstanding)
            {
                return false;
            }

            _outstanding -= bytes;
            if (!_closed)
            {
                _buffered += bytes; // After Close the credit already left the budget: these bytes are dropped unbuffered.
            }

            return true;
        }
    }

    /// <summary>
    /// The consumer drained <paramref name="bytes"/>. Returns the WINDOW_UPDATE increment to send now, or 0.
    /// When the last update went out less than 2 × <paramref name="rttTimestampTicks"/> ago (the window limits throughput),
    /// the window doubles if the budget allows.
    /// </summary>
    public uint OnConsumed(long bytes, long nowTimestamp, long rttTimestampTicks)
    {
        lock (_gate)
        {
            _buffered -= bytes;
            if (_closed)
            {
                _budget.Release(bytes); // A closed stream grants nothing more: its buffered bytes leave the budget as they are read.
                return 0;
            }

            _unacknowledged += bytes;
            if (_unacknowledged * 2 < _window)
            {
                return 0;
            }

            var increment = _unacknowledged;
            if (rttTimestampTicks > 0 && nowTimestamp - _lastUpdateTimestamp < 2 * rttTimestampTicks)
            {
                var extra = Math.Min(_window, MaxAutoTunedWindow - _window);
                if (extra > 0 && _budget.TryReserve(extra))
                {
                    _window += extra;
                    increment += extra;
                }
            }

            _unacknowledged = 0;
            _outstanding += increment;
            _lastUpdateTimestamp = nowTimestamp;
            return (uint)Math.Min(increment, FrameLimits.MaxWindow);
        }
    }

    /// <summary>
    /// The stream closed: the credit the peer held and the bytes already consumed leave the budget now; bytes
    /// still buffered leave it as the consumer drains them (or at <see cref="DiscardBuffered"/>). Idempotent.
    /// </summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _budget.Release(_window - _buffered);
        }
    }

    /// <summary>The consumer will read no more: its buffered bytes leave the budget (after <see cref="Close"/>).</summary>
    public void DiscardBuffered()
    {
        lock (_gate)
        {
            if (_closed && _buffered > 0)
            {
                _budget.Release(_buffered);
                _buffered = 0;
            }
        }
    }
}
