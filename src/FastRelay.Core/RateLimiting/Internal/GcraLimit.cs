namespace FastRelay.RateLimiting.Internal;

/// <summary>
/// <see cref="TokenBucketOptions"/> in clock ticks: what one token costs and how far ahead of now the TAT
/// may run (<see cref="Gcra"/>). Tokens cost a whole number of ticks, rounded up, and the tolerance is
/// exactly <c>burst</c> of them, so a full bucket grants exactly the burst and the rate is never exceeded.
/// The price is that the effective rate is <c>frequency / ceil(frequency / rate)</c>: exact for any rate
/// whose token interval is whole ticks, and within 0.1% for rates up to 1,000,000/s on a 1 ns clock
/// (Linux, macOS) or 10,000/s on a 100 ns one (Windows, FakeTimeProvider).
/// </summary>
internal readonly struct GcraLimit
{
    public GcraLimit(TokenBucketOptions options, long timestampFrequency)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!double.IsFinite(options.RefillPerSecond) || options.RefillPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RefillPerSecond, "RefillPerSecond must be positive and finite");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.Burst, 1, nameof(options));
        var interval = Math.Ceiling(timestampFrequency / options.RefillPerSecond);
        if (interval * options.Burst > Gcra.MaxTicks)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options, "the burst takes too long to refill at this rate");
        }

        Burst = options.Burst;
        CostOfOne = (long)interval;
        Tolerance = CostOfOne * Burst;
    }

    /// <summary>The most tokens granted at one instant.</summary>
    public long Burst { get; }

    /// <summary>Ticks per token (at least 1).</summary>
    public long CostOfOne { get; }

    /// <summary><see cref="Burst"/> tokens' worth of ticks.</summary>
    public long Tolerance { get; }

    /// <summary>The cost of <paramref name="count"/> tokens, for 0 ≤ count ≤ <see cref="Burst"/> (no overflow by construction).</summary>
    public long Cost(long count) => count * CostOfOne;
}
