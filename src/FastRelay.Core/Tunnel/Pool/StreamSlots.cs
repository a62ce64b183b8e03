namespace FastRelay.Tunnel.Pool;

/// <summary>
/// The edge's own count of one tunnel connection's streams: the ones open now and every one ever opened.
/// A new session reserves a slot before it sends OPEN, so many sessions racing for the same connection never
/// exceed <c>--tunnel-max-streams</c> (which the gateway would answer with REFUSED_STREAM) nor
/// <c>--keepalive-requests</c> (the recycling point).
/// </summary>
/// <remarks>Lock-free and thread-safe: one compare-and-swap loop per reservation.</remarks>
public sealed class StreamSlots(int maxStreams, long maxRequests)
{
    private int _open;
    private long _reserved;

    /// <summary>Streams open (or being opened) now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Streams ever reserved on this connection.</summary>
    public long Reserved => Volatile.Read(ref _reserved);

    /// <summary>True once the connection has carried <c>--keepalive-requests</c> streams: it takes no more and is drained.</summary>
    public bool IsSpent => maxRequests > 0 && Reserved >= maxRequests;

    /// <summary>True while a reservation would succeed (a hint: another thread may take the last slot first).</summary>
    public bool HasRoom => Open < maxStreams && !IsSpent;

    /// <summary>Takes one slot; false when the connection is full or spent.</summary>
    public bool TryReserve()
    {
        while (true)
        {
            var open = Volatile.Read(ref _open);
            if (open >= maxStreams || IsSpent)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open)
            {
                // Counted after the slot is held; two racers may both pass IsSpent with one request left,
                // so the count is checked again and the loser gives its slot back.
                if (maxRequests > 0 && Interlocked.Increment(ref _reserved) > maxRequests)
                {
                    Interlocked.Decrement(ref _open);
                    return false;
                }

                if (maxRequests <= 0)
                {
                    Interlocked.Increment(ref _reserved);
                }

                return true;
            }
        }
    }

    /// <summary>Gives a slot back when its stream has ended (or its OPEN failed).</summary>
    public void Release() => Interlocked.Decrement(ref _open);
}
