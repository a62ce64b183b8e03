using FastRelay.RateLimiting;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>Issue 4: decisions allocate nothing (0 B), allowed or refused; only a new key in a table costs memory.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Decisions_OnKnownKeysAndBuckets_AllocateNothing()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(new TokenBucketOptions(100, 10), time);
        var addresses = new KeyedBucketTable<UInt128>(new TokenBucketOptions(100, 10), 100, time);
        var identities = new KeyedBucketTable<string>(new TokenBucketOptions(100, 10), 100, time);
        var shaper = new BandwidthShaper(BandwidthOptions.ForRate(1 << 20), time);
        var identity = "CN=alice";
        var now = time.GetTimestamp();
        for (var i = 0; i < 10; i++)
        {
            // Warm-up: the keys' first decisions allocate their buckets, and the second lookup of a
            // UInt128 key allocates 88 B once (a first-use cache in the runtime, not ours).
            Exercise();
        }

        // 1 ms apart at 100/s: mostly refusals, a grant every 10th call.
        Assert.Equal(0, Allocations.FewestBytesOnThisThread(Exercise, iterations: 100));

        void Exercise()
        {
            now += TimeSpan.TicksPerMillisecond; // FakeTimeProvider ticks are TimeSpan ticks.
            _ = bucket.TryTake();
            _ = bucket.TryTake(3, now);
            _ = addresses.Decide(UInt128.MaxValue);
            _ = addresses.Decide(UInt128.MaxValue, now);
            _ = identities.Decide(identity, now);
            _ = shaper.Reserve(16_384, now);
        }
    }
}
