using FastRelay.RateLimiting.Internal;

namespace FastRelay.RateLimiting;

/// <summary>
/// One lock-free token bucket, for a single limit such as all new connections of a listener. Its whole state
/// is one 64-bit word updated by compare-and-swap (GCRA, see <see cref="Gcra"/>): no lock, no allocation per
/// call, exact under any number of threads: between any two instants it never grants more than
/// <c>Burst + RefillPerSecond × elapsed</c> tokens. A new bucket is full.
/// </summary>
/// <remarks>
/// Thread-safe. Time comes only from the injected <see cref="TimeProvider"/>'s timestamps; a clock read on
/// another thread that lands a little late is harmless (the state never moves backwards).
/// </remarks>
internal sealed class TokenBucket
{
    private readonly GcraLimit _limit;
    private readonly TimeProvider _time;
    private long _tat = Gcra.Full;

    /// <summary>A full bucket.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options are out of range (see <see cref="TokenBucketOptions"/>).</exception>
    public TokenBucket(TokenBucketOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _limit = new GcraLimit(options, time.TimestampFrequency);
        _time = time;
    }

    /// <summary>The most tokens granted at one instant.</summary>
    public long Burst => _limit.Burst;

    /// <summary>Takes one token now; false (and nothing taken) when the bucket is empty.</summary>
    public bool TryTake() => TryTake(1, _time.GetTimestamp());

    /// <summary>Takes <paramref name="count"/> tokens now, all or none.</summary>
    /// <returns>False when fewer are available; always false when <paramref name="count"/> exceeds <see cref="Burst"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public bool TryTake(long count) => TryTake(count, _time.GetTimestamp());

    /// <summary>Takes <paramref name="count"/> tokens at <paramref name="timestamp"/> (ticks of the bucket's <see cref="TimeProvider"/>).</summary>
    /// <inheritdoc cref="TryTake(long)" path="/returns"/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public bool TryTake(long count, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return count <= _limit.Burst
            && Gcra.TryTake(ref _tat, _limit.Cost(count), _limit.Tolerance, timestamp) == GcraOutcome.Allowed;
    }

    /// <summary>Whole tokens available at <paramref name="timestamp"/>, for metrics and tests; may be stale at once.</summary>
    public long GetAvailable(long timestamp) =>
        Gcra.Available(Volatile.Read(ref _tat), _limit.CostOfOne, _limit.Tolerance, timestamp);
}
