using FastRelay.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

public sealed class TokenBucketTests
{
    public static TheoryData<string, double, long, string> Timelines => new()
    {
        { "a new bucket is full and grants exactly the burst", 1, 3, "T T T F F" },
        { "one token per interval, not before", 1, 1, "T F +999ms F +1ms T F" },
        { "refill stops at the burst", 10, 2, "T T F +10s T T F" },
        { "partial refill, then empty again", 10, 5, "T5 F +300ms T T T F" },
        { "take several: all or none", 10, 5, "T3 F3 T2 F +100ms F2 T" },
        { "more than the burst never succeeds", 100, 4, "F5 +1h F5 T4" },
        { "zero tokens always succeed", 1, 1, "T T0 F T0" },
        { "slow rates: 10/h is one per 6 minutes", 10 / 3600.0, 1, "T +5m F +1m T F" },
        { "fast rates: 100,000/s is one per 10 us", 100_000, 2, "T T F +0.009ms F +0.001ms T F" },
        { "an idle gap is not banked beyond the burst", 2, 2, "T T +1h T T F +500ms T F" },
    };

    [Theory]
    [MemberData(nameof(Timelines))]
    public void TryTake_FollowsTheTimeline(string label, double refillPerSecond, long burst, string script)
    {
        _ = label; // The row's name in the test explorer.
        var time = new FakeTimeProvider();
        BucketScript.Run(new TokenBucket(new TokenBucketOptions(refillPerSecond, burst), time), time, script);
    }

    [Fact]
    public void GetAvailable_CountsWholeTokensAsTheyRefill()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(new TokenBucketOptions(4, 8), time);
        Assert.Equal(8, bucket.GetAvailable(time.GetTimestamp()));
        Assert.True(bucket.TryTake(8));
        Assert.Equal(0, bucket.GetAvailable(time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(1, bucket.GetAvailable(time.GetTimestamp()));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, bucket.GetAvailable(time.GetTimestamp()));
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(8, bucket.GetAvailable(time.GetTimestamp()));
    }

    [Fact]
    public void TryTake_TimestampFromAnotherThreadThatLandsLate_NeverMovesStateBack()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(new TokenBucketOptions(1, 1), time);
        var now = time.GetTimestamp();
        Assert.True(bucket.TryTake(1, now));
        Assert.False(bucket.TryTake(1, now - TimeSpan.TicksPerSecond)); // An older reading gives nothing back.
        Assert.True(bucket.TryTake(1, now + TimeSpan.TicksPerSecond));
    }

    public static TheoryData<string, double, long> BadOptions => new()
    {
        { "zero rate", 0, 1 },
        { "negative rate", -1, 1 },
        { "NaN rate", double.NaN, 1 },
        { "infinite rate", double.PositiveInfinity, 1 },
        { "zero burst", 1, 0 },
        { "burst too slow to refill", 1e-9, long.MaxValue / 2 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Constructor_OptionsOutOfRange_Throws(string label, double refillPerSecond, long burst)
    {
        _ = label;
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(new TokenBucketOptions(refillPerSecond, burst), TimeProvider.System));
    }

    [Fact]
    public void TryTake_NegativeCount_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(new TokenBucketOptions(1, 1), TimeProvider.System).TryTake(-1));

    [Theory]
    [InlineData(100, 100)]
    [InlineData(0.01, 1)]
    [InlineData(2.5, 3)]
    public void DefaultBurst_IsOneSecondOfRefill_AtLeastOne(double refillPerSecond, long expected) =>
        Assert.Equal(expected, TokenBucketOptions.DefaultBurst(refillPerSecond));

    [Theory]
    [InlineData(1e-9, 1)]
    [InlineData(1.0 / 3600, 87_600)]
    [InlineData(1, 315_360_000)]
    [InlineData(1e6, 1_000_000_000)]
    public void EveryBucketTheReadersAccept_CanBeBuilt_OnEitherClock(double refillPerSecond, long burst)
    {
        // The readers refuse what RefillsInTime refuses; what it accepts must never throw at start (it did: exit 1).
        if (!TokenBucketOptions.RefillsInTime(refillPerSecond, burst))
        {
            Assert.True(burst / refillPerSecond > TokenBucketOptions.MaxRefillTime.TotalSeconds);
            return;
        }

        _ = new TokenBucket(new TokenBucketOptions(refillPerSecond, burst), TimeProvider.System); // 1 ns ticks here.
        _ = new TokenBucket(new TokenBucketOptions(refillPerSecond, burst), new FakeTimeProvider()); // 100 ns ticks.
    }

    [Fact]
    public void RefillsInTime_DrawsTheLineAtTenYears()
    {
        var seconds = TokenBucketOptions.MaxRefillTime.TotalSeconds;
        Assert.True(TokenBucketOptions.RefillsInTime(1, (long)seconds));
        Assert.False(TokenBucketOptions.RefillsInTime(1, (long)seconds + 1));
        Assert.False(TokenBucketOptions.RefillsInTime(1.0 / 3600, 1_000_000_000));
        Assert.False(TokenBucketOptions.RefillsInTime(0, 1));
    }
}
