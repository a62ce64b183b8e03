namespace FastRelay.RateLimiting;

/// <summary>
/// A token bucket: it holds up to <see cref="Burst"/> tokens and refills at <see cref="RefillPerSecond"/>
/// (<c>--conn-rate RATE --conn-burst N</c> in cli.md). Immutable; checked by the <see cref="TokenBucket"/>
/// and <see cref="KeyedBucketTable{TKey}"/> constructors, which throw <see cref="ArgumentOutOfRangeException"/>
/// for a rate that is not positive and finite, a burst below 1, or a burst that would take longer than
/// 2^60 clock ticks to refill.
/// </summary>
/// <param name="RefillPerSecond">Tokens added per second; fractional rates such as <c>10/h</c> are fine.</param>
/// <param name="Burst">The most tokens a full bucket grants at one instant.</param>
public sealed record TokenBucketOptions(double RefillPerSecond, long Burst)
{
    /// <summary>
    /// The longest an empty bucket may take to fill again (burst ÷ rate) for the flag readers to accept it: ten
    /// years, well inside the 2^60 ticks the buckets count in on any clock (36 years on a 1 ns one). Longer is a
    /// typo (<c>--conn-rate 1/h --conn-burst 1000000000</c>) and is refused as one rather than thrown at start.
    /// </summary>
    public static readonly TimeSpan MaxRefillTime = TimeSpan.FromDays(3650);

    /// <summary>Whether a bucket of <paramref name="burst"/> at <paramref name="refillPerSecond"/> fills within <see cref="MaxRefillTime"/>.</summary>
    public static bool RefillsInTime(double refillPerSecond, long burst) =>
        refillPerSecond > 0 && burst / refillPerSecond <= MaxRefillTime.TotalSeconds;

    /// <summary>A burst as large as one second of refill, at least 1 (what <c>--conn-burst</c> defaults to).</summary>
    public static long DefaultBurst(double refillPerSecond) =>
        double.IsFinite(refillPerSecond) ? Math.Max(1, (long)Math.Min(Math.Ceiling(refillPerSecond), int.MaxValue)) : 1;
}
