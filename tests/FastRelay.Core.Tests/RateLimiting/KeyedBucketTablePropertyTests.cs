using CsCheck;
using FastRelay.RateLimiting;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>
/// Eviction is exact: a small table that evicts all the time decides as an unbounded set of buckets would,
/// except that it may refuse a new key with <see cref="RateDecision.TableFull"/>; and racing evictions
/// never lose a grant (which would let a key exceed its bound).
/// </summary>
public sealed class KeyedBucketTablePropertyTests
{
    [Fact]
    public void Decide_WithEvictions_AgreesWithOneBucketPerKeyForever() =>
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 4], Gen.Int[0, 3], (key, advanceMs, evict) => (Key: (UInt128)key, AdvanceMs: advanceMs * 150, Evict: evict == 0))
            .Array[1, 200]
            .Sample(steps =>
            {
                var time = new FakeTimeProvider();
                var options = new TokenBucketOptions(4, 2); // A token per 250 ms: buckets fill and drain within a few steps.
                var table = new KeyedBucketTable<UInt128>(options, 3, time);
                var reference = new Dictionary<UInt128, TokenBucket>();
                foreach (var (key, advanceMs, evict) in steps)
                {
                    time.Advance(TimeSpan.FromMilliseconds(advanceMs));
                    if (evict)
                    {
                        table.EvictIdle();
                    }

                    var decision = table.Decide(key);
                    Assert.InRange(table.Count, 0, 3);
                    if (decision == RateDecision.TableFull)
                    {
                        continue; // Refused before any bucket was touched: the reference takes nothing either.
                    }

                    if (!reference.TryGetValue(key, out var bucket))
                    {
                        reference[key] = bucket = new TokenBucket(options, time);
                    }

                    Assert.Equal(bucket.TryTake(), decision == RateDecision.Allowed);
                }
            }, iter: 2_000);

    [Fact]
    public async Task Decide_RacingEvictions_NeverGrantMoreThanBurstPlusRefillPerKey()
    {
        const double rate = 1000;
        const long burst = 2;
        const int keys = 8;
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var table = new KeyedBucketTable<UInt128>(new TokenBucketOptions(rate, burst), keys, time);
        var granted = new long[keys];
        using var done = new CancellationTokenSource();

        // Steps of 5 ms refill every bucket, so each step races fresh takes against an evictor that retires full buckets.
        var clock = Run(() =>
        {
            // The clock starts once every key has had its burst, so the deciders race through every step.
            Assert.True(SpinWait.SpinUntil(() => Enumerable.Range(0, keys).All(key => Volatile.Read(ref granted[key]) >= burst), TestTimeouts.Default));
            for (var i = 0; i < 300; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(5));
                Thread.Yield();
            }

            done.Cancel();
        });
        var evictor = Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                table.EvictIdle();
            }
        });
        var deciders = Enumerable.Range(0, 3).Select(worker => Run(() =>
        {
            for (var i = 0; !done.IsCancellationRequested; i++)
            {
                var key = (i + worker) % keys;
                if (table.Decide((UInt128)key) == RateDecision.Allowed)
                {
                    Interlocked.Increment(ref granted[key]);
                }
            }
        }));
        await Task.WhenAll([clock, evictor, .. deciders]).WithTimeout();

        var bound = burst + (rate * (time.GetTimestamp() - start) / time.TimestampFrequency);
        Assert.All(granted, count => Assert.InRange(count, burst, bound));
    }

    private static Task Run(Action action) =>
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
