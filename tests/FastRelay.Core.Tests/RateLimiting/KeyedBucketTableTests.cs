using FastRelay.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

public sealed class KeyedBucketTableTests
{
    private static readonly TokenBucketOptions OnePerSecondBurstTwo = new(1, 2);

    [Fact]
    public void Decide_KeysHaveTheirOwnBuckets()
    {
        var time = new FakeTimeProvider();
        var table = new KeyedBucketTable<UInt128>(OnePerSecondBurstTwo, 10, time);
        Assert.Equal(RateDecision.Allowed, table.Decide(1));
        Assert.Equal(RateDecision.Allowed, table.Decide(1));
        Assert.Equal(RateDecision.Limited, table.Decide(1));
        Assert.Equal(RateDecision.Allowed, table.Decide(2));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RateDecision.Allowed, table.Decide(1));
        Assert.Equal(RateDecision.Limited, table.Decide(1));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Decide_StringKeys_CompareOrdinally()
    {
        var table = new KeyedBucketTable<string>(new TokenBucketOptions(1, 1), 10, new FakeTimeProvider());
        Assert.Equal(RateDecision.Allowed, table.Decide("CN=alice"));
        Assert.Equal(RateDecision.Limited, table.Decide(string.Concat("CN=", "alice")));
        Assert.Equal(RateDecision.Allowed, table.Decide("cn=alice"));
    }

    [Fact]
    public void EvictIdle_RemovesOnlyBucketsThatAreFullAgain()
    {
        var time = new FakeTimeProvider();
        var table = new KeyedBucketTable<UInt128>(OnePerSecondBurstTwo, 10, time);
        table.Decide(1);
        table.Decide(1); // Key 1 is empty: full again in 2 s.
        table.Decide(2); // Key 2 lacks one token: full again in 1 s.
        Assert.Equal(0, table.EvictIdle());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, table.EvictIdle());
        Assert.Equal(1, table.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, table.EvictIdle());
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Decide_EvictedKey_BehavesAsIfItHadStayed()
    {
        var time = new FakeTimeProvider();
        var table = new KeyedBucketTable<UInt128>(OnePerSecondBurstTwo, 10, time);
        table.Decide(7);
        table.Decide(7);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, table.EvictIdle());
        Assert.Equal(RateDecision.Allowed, table.Decide(7));
        Assert.Equal(RateDecision.Allowed, table.Decide(7));
        Assert.Equal(RateDecision.Limited, table.Decide(7));
    }

    [Fact]
    public void Decide_NewKeyInAFullTableOfBusyBuckets_IsTableFullUntilOneIsIdle()
    {
        var time = new FakeTimeProvider();
        var table = new KeyedBucketTable<UInt128>(new TokenBucketOptions(1000, 1), 3, time);
        for (UInt128 key = 1; key <= 3; key++)
        {
            Assert.Equal(RateDecision.Allowed, table.Decide(key));
        }

        Assert.Equal(RateDecision.TableFull, table.Decide(4)); // Swept: nothing idle.
        Assert.Equal(RateDecision.Limited, table.Decide(1)); // Known keys keep their buckets.
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(RateDecision.TableFull, table.Decide(4)); // Idle now, but one sweep per interval.
        time.Advance(KeyedBucketTable<UInt128>.SweepInterval);
        Assert.Equal(RateDecision.Allowed, table.Decide(4));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Decide_FloodOfDistinctKeys_StaysWithinTheBound()
    {
        var time = new FakeTimeProvider();
        var table = new KeyedBucketTable<UInt128>(new TokenBucketOptions(10, 5), 100, time);
        var decisions = new Dictionary<RateDecision, int>();
        for (UInt128 key = 0; key < 10_000; key++)
        {
            var decision = table.Decide(key);
            decisions[decision] = decisions.GetValueOrDefault(decision) + 1;
            Assert.InRange(table.Count, 0, 100);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // A bucket with one token of five taken is full again 100 ms later, so sweeps (one a second) free
        // the table and about 100 keys a second get in.
        Assert.InRange(decisions[RateDecision.Allowed], 1000, 1100);
        Assert.Equal(10_000 - decisions[RateDecision.Allowed], decisions[RateDecision.TableFull]);
    }

    [Fact]
    public void Constructor_ArgumentsOutOfRange_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedBucketTable<UInt128>(OnePerSecondBurstTwo, 0, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedBucketTable<UInt128>(new TokenBucketOptions(0, 1), 1, TimeProvider.System));
    }
}
