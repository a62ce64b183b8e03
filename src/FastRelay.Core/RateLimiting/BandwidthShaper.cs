using FastRelay.RateLimiting.Internal;

namespace FastRelay.RateLimiting;

/// <summary>
/// Shapes one direction of one connection to <see cref="BandwidthOptions.BytesPerSecond"/>: before sending,
/// the pump calls <see cref="Reserve(int)"/> with the byte count and awaits the returned delay (none while
/// within the burst), so a shaped connection waits on a timer and never spins. Built on the same single
/// GCRA word as <see cref="TokenBucket"/>, but a reservation is never refused: bytes are booked at the end
/// of the queue and the delay says when their turn comes (like Go's <c>rate.Limiter.ReserveN</c>).
/// </summary>
/// <remarks>
/// <para>Guarantee, for a pump that reserves, waits as told, then sends: by any instant <c>t</c>, no more than
/// <c>BurstBytes + BytesPerSecond × t</c> bytes have gone out since the first reservation; and within any
/// window, no more than <c>max(BurstBytes, the window's first send) + BytesPerSecond × elapsed</c>. A timer
/// that fires <c>L</c> late lets at most <c>BytesPerSecond × L</c> more bunch behind that send (its bytes were
/// booked when they were due); it never raises the long-run rate.</para>
/// <para>A send larger than the burst is fine: it waits for its excess. Costs are rounded up to whole clock
/// ticks per reservation, so the error is at most one tick per send (1 ns on Linux), never in the
/// sender's favour.</para>
/// <para>Thread-safe and allocation-free: one shaper per direction gives each direction the full rate; two
/// directions sharing one shaper share it.</para>
/// </remarks>
internal sealed class BandwidthShaper
{
    private readonly TimeProvider _time;
    private readonly double _ticksPerByte;
    private readonly long _tolerance;
    private readonly double _timeSpanTicksPerTick;
    private long _tat = Gcra.Full;

    /// <summary>A shaper whose burst is available at once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate or burst below 1, or a burst that takes over 2^60 ticks to refill.</exception>
    public BandwidthShaper(BandwidthOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BytesPerSecond, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BurstBytes, 1, nameof(options));
        _ticksPerByte = (double)time.TimestampFrequency / options.BytesPerSecond;
        var tolerance = Math.Floor(options.BurstBytes * _ticksPerByte);
        if (tolerance > Gcra.MaxTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options, "the burst takes too long to refill at this rate");
        }

        _tolerance = (long)tolerance;
        _timeSpanTicksPerTick = (double)TimeSpan.TicksPerSecond / time.TimestampFrequency;
        _time = time;
    }

    /// <summary>Books <paramref name="bytes"/> now and returns how long to wait before sending them.</summary>
    /// <returns><see cref="TimeSpan.Zero"/> within the burst; otherwise the delay, rounded up.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public TimeSpan Reserve(int bytes) => Reserve(bytes, _time.GetTimestamp());

    /// <summary>Books <paramref name="bytes"/> at <paramref name="timestamp"/> (ticks of the shaper's clock).</summary>
    /// <inheritdoc cref="Reserve(int)" path="/returns"/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public TimeSpan Reserve(int bytes, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);

        // Rounded up, so the shaper errs towards sending late, never early. At most 2^31 bytes x 10^9 ticks
        // per byte (1 B/s on a 1 ns clock): below 2^62, no overflow.
        var cost = (long)Math.Ceiling(bytes * _ticksPerByte);
        var sendAt = Gcra.Reserve(ref _tat, cost, timestamp) - _tolerance;
        return sendAt <= timestamp
            ? TimeSpan.Zero
            : TimeSpan.FromTicks((long)Math.Ceiling((sendAt - timestamp) * _timeSpanTicksPerTick));
    }
}
