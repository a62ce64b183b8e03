using CsCheck;
using FastRelay.RateLimiting;
using FastRelay.RateLimiting.Internal;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>
/// STYLE.md H8: a token bucket never exceeds the burst plus the elapsed refill, over every window of random
/// timelines; and it agrees, decision for decision, with the naive bucket (a credit that refills and is
/// spent), so the bound is not bought by refusing too much.
/// </summary>
public sealed class TokenBucketPropertyTests
{
    private static readonly Gen<Timeline> Timelines = Gen.Select(
        Gen.Double[-2, 6], // log10 of the rate: 0.01/s to 1,000,000/s
        Gen.Int[1, 40],
        Gen.Select(Gen.Int[0, 3], Gen.Double[0, 3], Gen.Int[0, 8], (kind, intervals, count) => (Intervals: kind == 0 ? 0 : intervals, Count: count)).Array[1, 120],
        (log10Rate, burst, steps) => new Timeline(Math.Pow(10, log10Rate), burst, steps));

    [Fact]
    public void TryTake_NeverExceedsBurstPlusElapsedRefill() =>
        Timelines.Sample(timeline =>
        {
            var (times, granted) = timeline.Run(out var bucket, out var time);
            for (var i = 0; i < times.Length; i++)
            {
                long sum = 0;
                for (var j = i; j < times.Length; j++)
                {
                    sum += granted[j];
                    var elapsedSeconds = (times[j] - times[i]) / (double)time.TimestampFrequency;
                    var bound = timeline.Burst + (timeline.Rate * elapsedSeconds);
                    Assert.True(sum <= bound * (1 + 1e-12), $"{sum} granted in [{i}, {j}] over {elapsedSeconds}s, bound {bound}");
                }
            }

            // And idle for a full refill, it is full again: the whole burst at once.
            time.Advance(TimeSpan.FromSeconds(timeline.Burst / timeline.Rate) + TimeSpan.FromTicks(timeline.Burst));
            Assert.Equal(timeline.Burst, bucket.GetAvailable(time.GetTimestamp()));
            Assert.True(bucket.TryTake(timeline.Burst));
        }, iter: 2_000);

    [Fact]
    public void TryTake_AgreesWithTheNaiveBucket() =>
        Timelines.Sample(timeline =>
        {
            var time = new FakeTimeProvider();
            var options = new TokenBucketOptions(timeline.Rate, timeline.Burst);
            var bucket = new TokenBucket(options, time);
            var limit = new GcraLimit(options, time.TimestampFrequency);
            var credit = limit.Tolerance; // Ticks of refill held; a token costs CostOfOne of them.
            foreach (var (intervals, count) in timeline.Steps)
            {
                var advance = timeline.Ticks(intervals, time);
                time.Advance(TimeSpan.FromTicks(advance));
                credit = Math.Min(limit.Tolerance, credit + advance);
                var expected = count * limit.CostOfOne <= credit;
                credit -= expected ? count * limit.CostOfOne : 0;
                Assert.Equal(expected, bucket.TryTake(count));
            }
        }, iter: 2_000);

    /// <summary>A random bucket and steps: advance by a multiple of the token interval, then take some tokens.</summary>
    internal sealed record Timeline(double Rate, int Burst, (double Intervals, int Count)[] Steps)
    {
        public long Ticks(double intervals, TimeProvider time) => (long)(intervals * time.TimestampFrequency / Rate);

        public (long[] Times, long[] Granted) Run(out TokenBucket bucket, out FakeTimeProvider time)
        {
            time = new FakeTimeProvider();
            bucket = new TokenBucket(new TokenBucketOptions(Rate, Burst), time);
            var times = new long[Steps.Length];
            var granted = new long[Steps.Length];
            for (var i = 0; i < Steps.Length; i++)
            {
                time.Advance(TimeSpan.FromTicks(Ticks(Steps[i].Intervals, time)));
                times[i] = time.GetTimestamp();
                granted[i] = bucket.TryTake(Steps[i].Count) ? Steps[i].Count : 0;
            }

            return (times, granted);
        }
    }
}
