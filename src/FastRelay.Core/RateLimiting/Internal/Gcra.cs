using System.Diagnostics;

namespace FastRelay.RateLimiting.Internal;

/// <summary>
/// The Generic Cell Rate Algorithm on one 64-bit word, the theoretical arrival time (TAT): the instant, in
/// <see cref="TimeProvider.GetTimestamp"/> ticks, at which the bucket would be full again. Taking tokens
/// that cost <c>cost</c> ticks at <c>now</c> moves it to <c>max(TAT, now) + cost</c>, and is allowed when
/// that is at most <c>tolerance</c> ticks ahead of <c>now</c>. With <c>tolerance = burst × cost of one</c>
/// this is the virtual-scheduling form of GCRA(T, τ) with τ = (burst − 1)·T: ATM Forum Traffic Management
/// Specification 4.0 (af-tm-0056.000), ITU-T I.371; explained for rate limiters in Brandur Leach, "Rate
/// Limiting, Cells, and GCRA" (brandur.org/rate-limiting). Unlike a classic token bucket (token count plus
/// last-refill time, as in wireguard-go <c>ratelimiter.go</c> or RFC 2697's srTCM) there is nothing to refill:
/// the whole state is one word, so one <see cref="Interlocked.CompareExchange(ref long, long, long)"/>
/// makes a decision atomic without a lock.
/// </summary>
/// <remarks>
/// Why the bound is exact: every grant moves the TAT forward by its cost from at least where it was, and a
/// grant at <c>t</c> leaves it at most <c>t + tolerance</c>. So the costs granted between <c>t0</c> and
/// <c>t1</c> add up to at most <c>tolerance + (t1 − t0)</c>: never more than the burst plus the refill.
/// </remarks>
internal static class Gcra
{
    /// <summary>The TAT of a full bucket: below any timestamp, so <c>max(TAT, now)</c> is <c>now</c>.</summary>
    public const long Full = long.MinValue;

    /// <summary>
    /// The TAT of a bucket that was evicted from a <see cref="KeyedBucketTable{TKey}"/>: callers holding it
    /// must look the key up again. Above any timestamp, and never produced by a grant (see <see cref="MaxTicks"/>).
    /// </summary>
    public const long Retired = long.MaxValue;

    /// <summary>
    /// The largest tolerance accepted (2^60 ticks, 36 years at 1 ns): with timestamps below 2^62 (boot- or
    /// process-relative clocks, <c>DateTime</c> ticks), <c>max(TAT, now) + cost</c> stays below 2^63.
    /// </summary>
    public const long MaxTicks = 1L << 60;

    /// <summary>Takes <paramref name="cost"/> ticks if the result stays within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    /// <returns>The outcome; <see cref="GcraOutcome.Retired"/> leaves <paramref name="tat"/> as it is.</returns>
    public static GcraOutcome TryTake(ref long tat, long cost, long tolerance, long now)
    {
        Debug.Assert(cost >= 0 && tolerance is >= 0 and <= MaxTicks);
        while (true)
        {
            var current = Volatile.Read(ref tat);
            if (current == Retired)
            {
                return GcraOutcome.Retired;
            }

            var next = Math.Max(current, now) + cost;
            if (next - now > tolerance)
            {
                // A refusal writes nothing: a flood of refused callers does not contend on the cache line.
                return GcraOutcome.Limited;
            }

            if (Interlocked.CompareExchange(ref tat, next, current) == current)
            {
                return GcraOutcome.Allowed;
            }
        }
    }

    /// <summary>Takes <paramref name="cost"/> ticks unconditionally (the caller waits instead of being refused).</summary>
    /// <returns>The new TAT; the reserved tokens may be used from <c>result − tolerance</c> on.</returns>
    public static long Reserve(ref long tat, long cost, long now)
    {
        Debug.Assert(cost >= 0);
        while (true)
        {
            var current = Volatile.Read(ref tat);
            var next = Math.Max(current, now) + cost;
            if (Interlocked.CompareExchange(ref tat, next, current) == current)
            {
                return next;
            }
        }
    }

    /// <summary>
    /// Marks the bucket <see cref="Retired"/> if it is full at <paramref name="now"/>. Exact: a full bucket
    /// behaves as a new one, so forgetting it changes no future decision.
    /// </summary>
    public static bool TryRetire(ref long tat, long now)
    {
        while (true)
        {
            var current = Volatile.Read(ref tat);
            if (current == Retired || current > now)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref tat, Retired, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Whole tokens available at <paramref name="now"/>, each costing <paramref name="costOfOne"/> ticks.</summary>
    public static long Available(long tat, long costOfOne, long tolerance, long now)
    {
        if (tat == Retired)
        {
            return 0;
        }

        var debt = Math.Max(tat, now) - now;
        return (tolerance - debt) / costOfOne;
    }
}
