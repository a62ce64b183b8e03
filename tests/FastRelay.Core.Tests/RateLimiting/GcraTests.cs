using FastRelay.RateLimiting.Internal;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>
/// The eviction handshake on one word, step by step (the races it guards are in
/// <see cref="KeyedBucketTablePropertyTests"/>): only a full bucket retires, and a retired bucket grants
/// nothing, so a decision that found it just before eviction goes back to the table.
/// </summary>
public sealed class GcraTests
{
    private const long Cost = 10;
    private const long Tolerance = 20; // A burst of two.

    [Fact]
    public void TryRetire_OnlyAFullBucket_AndOnlyOnce()
    {
        var tat = Gcra.Full;
        Assert.Equal(GcraOutcome.Allowed, Gcra.TryTake(ref tat, Cost, Tolerance, now: 100));
        Assert.False(Gcra.TryRetire(ref tat, now: 109)); // One token short of full.
        Assert.True(Gcra.TryRetire(ref tat, now: 110));
        Assert.False(Gcra.TryRetire(ref tat, now: 110));
        Assert.Equal(Gcra.Retired, tat);
    }

    [Fact]
    public void TryTake_OnARetiredBucket_GrantsNothingAndChangesNothing()
    {
        var tat = Gcra.Retired;
        Assert.Equal(GcraOutcome.Retired, Gcra.TryTake(ref tat, Cost, Tolerance, now: 100));
        Assert.Equal(GcraOutcome.Retired, Gcra.TryTake(ref tat, 0, Tolerance, now: 100));
        Assert.Equal(Gcra.Retired, tat);
        Assert.Equal(0, Gcra.Available(tat, Cost, Tolerance, now: 100));
    }

    [Fact]
    public void TryTake_Refused_WritesNothing()
    {
        var tat = Gcra.Full;
        Assert.Equal(GcraOutcome.Allowed, Gcra.TryTake(ref tat, 2 * Cost, Tolerance, now: 100));
        var before = tat;
        Assert.Equal(GcraOutcome.Limited, Gcra.TryTake(ref tat, Cost, Tolerance, now: 105));
        Assert.Equal(before, tat);
    }

    [Fact]
    public void Reserve_QueuesBehindEarlierReservations()
    {
        var tat = Gcra.Full;
        Assert.Equal(130, Gcra.Reserve(ref tat, 30, now: 100));
        Assert.Equal(140, Gcra.Reserve(ref tat, 10, now: 100));
        Assert.Equal(510, Gcra.Reserve(ref tat, 10, now: 500)); // Idle time is not banked.
    }
}
