using FastRelay.Tunnel.Pool;

namespace FastRelay.Core.Tests.Tunnel.Pool;

/// <summary>Redials: exponential with jitter, capped, never zero, back to the start after a success.</summary>
public sealed class RedialBackoffTests
{
    [Fact]
    public void NextDelay_GrowsExponentiallyWithinJitterBounds()
    {
        var backoff = new RedialBackoff(new Random(7));
        var caps = new[] { 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000 };
        foreach (var cap in caps)
        {
            var delay = backoff.NextDelay().TotalMilliseconds;
            Assert.InRange(delay, cap / 2.0, cap);
        }
    }

    [Fact]
    public void Reset_StartsOverFromTheInitialDelay()
    {
        var backoff = new RedialBackoff(new Random(1));
        for (var i = 0; i < 10; i++)
        {
            backoff.NextDelay();
        }

        backoff.Reset();

        Assert.InRange(backoff.NextDelay().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void NextDelay_TwoEdges_DoNotRedialInLockstep()
    {
        var a = new RedialBackoff(new Random(1));
        var b = new RedialBackoff(new Random(2));
        var same = Enumerable.Range(0, 8).Count(_ => a.NextDelay() == b.NextDelay());
        Assert.True(same < 8);
    }
}
