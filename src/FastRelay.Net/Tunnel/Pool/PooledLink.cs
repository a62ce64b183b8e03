using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Pool;

/// <summary>A link in a gateway's pool, with the pool's own bookkeeping: slots, idle clock, drain state.</summary>
/// <remarks>Thread-safe: slots are lock-free, the idle clock is one atomic timestamp.</remarks>
internal sealed class PooledLink
{
    private readonly TimeProvider _time;
    private readonly Action _onReleased;
    private long _idleSince;
    private int _draining;

    public PooledLink(ITunnelLink link, string gateway, long id, StreamSlots slots, TimeProvider time, Action onReleased)
    {
        Link = link;
        Gateway = gateway;
        Id = id;
        Slots = slots;
        _time = time;
        _onReleased = onReleased;
        _idleSince = time.GetTimestamp();
        CreatedTimestamp = _idleSince;
    }

    /// <summary>When it joined the pool (a link that dies young without a stream counts as a failed dial).</summary>
    public long CreatedTimestamp { get; }

    public ITunnelLink Link { get; }

    /// <summary>The gateway pool it belongs to (recycling goes through it).</summary>
    public GatewayPool? Owner { get; init; }

    public string Gateway { get; }

    /// <summary>Numbers the pool's connections in logs.</summary>
    public long Id { get; }

    public StreamSlots Slots { get; }

    /// <summary>The epoch last seen by the maintenance tick (to count rekeys).</summary>
    public uint SeenEpoch { get; set; }

    /// <summary>The ping round trip last seen by the maintenance tick (to record each new one once).</summary>
    public TimeSpan? SeenRtt { get; set; }

    /// <summary>True once the pool sent GOAWAY (recycled or reaped): no new streams, it closes when they end.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>May take new streams: alive, not draining, not spent.</summary>
    public bool IsUsable => !IsDraining && !Link.Completion.IsCompleted && Link.CanOpenStreams && !Slots.IsSpent;

    /// <summary>Usable and with a free slot now.</summary>
    public bool HasRoom => IsUsable && Slots.HasRoom;

    /// <summary>How long it has had no stream (zero while it has one).</summary>
    public TimeSpan IdleFor => Slots.Open > 0 ? TimeSpan.Zero : _time.GetElapsedTime(Volatile.Read(ref _idleSince));

    /// <summary>Sends GOAWAY once; later calls do nothing.</summary>
    public bool TryDrain(TunnelErrorCode code, string reason)
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0)
        {
            return false;
        }

        Link.GoAway(code, reason);
        return true;
    }

    /// <summary>A stream ended (or its OPEN failed): free the slot and restart the idle clock.</summary>
    public void Release()
    {
        Slots.Release();
        Volatile.Write(ref _idleSince, _time.GetTimestamp());
        _onReleased();
    }

    /// <summary>The view the pure policy decides on.</summary>
    public PooledConnectionView View() => new(IsUsable, Slots.Open, HasRoom, IdleFor);
}
