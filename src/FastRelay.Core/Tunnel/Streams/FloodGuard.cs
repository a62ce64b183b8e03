namespace FastRelay.Tunnel.Streams;

/// <summary>What the peer did too often (the logged reason of an ENHANCE_YOUR_CALM).</summary>
internal enum FloodKind
{
    /// <summary>Nothing: within the limits.</summary>
    None,

    /// <summary>PINGs above 4× the announced rate.</summary>
    Pings,

    /// <summary>Streams opened and reset (Rapid Reset).</summary>
    Resets,

    /// <summary>Frames that carry nothing (ignored extensions, frames for closed streams).</summary>
    UselessFrames,
}

/// <summary>
/// The flood checks of §4.10 for one connection. Pure and single-threaded: the read loop calls it with
/// <see cref="TimeProvider"/> timestamps.
/// </summary>
internal sealed class FloodGuard(FloodLimits limits, long timestampFrequency)
{
    private RateCounter _pings;
    private RateCounter _resets;
    private RateCounter _useless;

    /// <summary>The limits in force.</summary>
    public FloodLimits Limits => limits;

    /// <summary>A PING (not an ACK) arrived.</summary>
    public FloodKind OnPing(long now) => _pings.Exceeds(now, timestampFrequency, limits.PingsPerSecond) ? FloodKind.Pings : FloodKind.None;

    /// <summary>The peer reset a stream (or one of its OPENs had to be refused).</summary>
    public FloodKind OnReset(long now) => _resets.Exceeds(now, timestampFrequency, limits.ResetsPerSecond) ? FloodKind.Resets : FloodKind.None;

    /// <summary>A frame that did nothing arrived.</summary>
    public FloodKind OnUselessFrame(long now) => _useless.Exceeds(now, timestampFrequency, limits.UselessFramesPerSecond) ? FloodKind.UselessFrames : FloodKind.None;
}
