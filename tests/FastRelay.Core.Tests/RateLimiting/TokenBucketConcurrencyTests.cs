using FastRelay.RateLimiting;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.RateLimiting;

/// <summary>
/// Issue 4: a bucket never admits more than burst + rate × elapsed under concurrent callers. Real threads
/// race on one bucket; the clock is a fake moved by hand, so the bound is computed exactly.
/// </summary>
public sealed class TokenBucketConcurrencyTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task TryTake_ManyThreadsAtOneInstant_GrantExactlyTheBurst(int threads)
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(new TokenBucketOptions(1, 1000), time);
        var granted = await RunAsync(threads, _ => bucket.TryTake() ? 1 : 0, iterations: 20_000);
        Assert.Equal(1000, granted);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task TryTake_ManyThreadsWhileTheClockMoves_NeverExceedBurstPlusRefill(int threads)
    {
        const double rate = 1000;
        const long burst = 50;
        var time = new FakeTimeProvider();
        var start = time.GetTimestamp();
        var bucket = new TokenBucket(new TokenBucketOptions(rate, burst), time);
        using var done = new CancellationTokenSource();
        var clock = Task.Factory.StartNew(() =>
        {
            // The clock starts once the workers have drained the burst, so they race through every step.
            Assert.True(SpinWait.SpinUntil(() => bucket.GetAvailable(time.GetTimestamp()) == 0, TestTimeouts.Default));
            for (var i = 0; i < 400; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(0.25));
                Thread.Yield();
            }

            done.Cancel();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var granted = await RunAsync(threads, worker =>
        {
            var count = 1 + (worker % 3); // Takes of 1, 2 and 3 interleave.
            return done.IsCancellationRequested ? -1 : bucket.TryTake(count) ? count : 0;
        }, iterations: int.MaxValue);
        await clock.WithTimeout();

        var elapsedSeconds = (time.GetTimestamp() - start) / (double)time.TimestampFrequency;
        Assert.InRange(granted, burst, burst + (rate * elapsedSeconds));
    }

    // Each worker calls take until it returns -1 or iterations run out; returns the sum of what was granted.
    private static async Task<long> RunAsync(int threads, Func<int, int> take, int iterations)
    {
        long total = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(worker => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            long mine = 0;
            for (var i = 0; i < iterations; i++)
            {
                var granted = take(worker);
                if (granted < 0)
                {
                    break;
                }

                mine += granted;
            }

            Interlocked.Add(ref total, mine);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        await Task.WhenAll(workers).WithTimeout();
        return total;
    }
}
