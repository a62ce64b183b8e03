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
    /// <summary>A burst as large as one second of refill, at least 1 (what <c>--conn-burst</c> defaults to).</summary>
    public static long DefaultBurst(double refillPerSecond) =>
        double.IsFinite(refillPerSecond) ? Math.Max(1, (long)Math.Min(Math.Ceiling(refillPerSecond), int.MaxValue)) : 1;
}
