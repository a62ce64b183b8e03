namespace FastRelay.Tunnel.Streams;

/// <summary>
/// The connection's receive budget (§4.6): Σ over streams of (bytes buffered + credit the peer still holds)
/// never exceeds <see cref="Limit"/>, so a connection's memory is bounded by construction however slowly its
/// consumers read. Every stream reserves its window here before its credit is granted. Thread-safe.
/// </summary>
/// <remarks>Defaults to 64 MiB (256 streams × 256 KiB).</remarks>
internal sealed class ReceiveBudget
{
    private long _reserved;

    /// <summary>A budget of <paramref name="limitBytes"/>.</summary>
    public ReceiveBudget(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitBytes);
        Limit = limitBytes;
    }

    /// <summary>The most that may be reserved at once.</summary>
    public long Limit { get; }

    /// <summary>Bytes reserved now (buffered or granted).</summary>
    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/>; false (nothing reserved) when that would pass the limit.</summary>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            var current = Interlocked.Read(ref _reserved);
            if (current + bytes > Limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _reserved, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> reserved earlier.</summary>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var after = Interlocked.Add(ref _reserved, -bytes);
        System.Diagnostics.Debug.Assert(after >= 0, "released more than was reserved");
    }
}
