namespace FastRelay.Tunnel.Streams;

/// <summary>
/// The edge's stream ids (§4.5): odd, strictly increasing from 1, below 2^31. Not thread-safe: the session
/// allocates under its lock, in the same step that queues the OPEN, so OPENs leave in id order.
/// </summary>
internal sealed class StreamIdAllocator
{
    /// <summary>The largest id handed out; past it the edge sends GOAWAY and uses a new connection.</summary>
    public const uint MaxId = int.MaxValue;

    private uint _next = 1;

    /// <summary>True while ids remain.</summary>
    public bool HasMore => _next <= MaxId;

    /// <summary>Ids handed out so far.</summary>
    public long Allocated => (_next - 1) / 2;

    /// <summary>The next id; false when the id space is exhausted.</summary>
    public bool TryAllocate(out uint id)
    {
        id = _next;
        if (_next > MaxId)
        {
            return false;
        }

        _next += 2;
        return true;
    }
}
