namespace FastRelay.Tunnel.Streams;

/// <summary>
/// Counts events in fixed one-second windows and says when a window passes its limit. Pure: the caller
/// passes <see cref="TimeProvider"/> timestamps. Not thread-safe (one loop owns each counter).
/// </summary>
internal struct RateCounter
{
    private long _windowStart;
    private int _count;

    /// <summary>Counts one event at <paramref name="now"/>; true when this second now holds more than <paramref name="limitPerSecond"/>.</summary>
    public bool Exceeds(long now, long timestampFrequency, int limitPerSecond)
    {
        if (now - _windowStart >= timestampFrequency)
        {
            _windowStart = now;
            _count = 0;
        }

        return ++_count > limitPerSecond;
    }
}
