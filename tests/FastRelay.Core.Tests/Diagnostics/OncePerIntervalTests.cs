using FastRelay.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Diagnostics;

public sealed class OncePerIntervalTests
{
    [Fact]
    public void TryEnter_OncePerInterval_OnTheFakeClock()
    {
        var time = new FakeTimeProvider();
        var gate = new OncePerInterval(time, TimeSpan.FromSeconds(1));

        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(gate.TryEnter());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
    }

    [Fact]
    public async Task TryEnter_ManyThreadsAtOneInstant_LetsExactlyOneThrough()
    {
        var gate = new OncePerInterval(new FakeTimeProvider(), TimeSpan.FromSeconds(1));
        var passed = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (gate.TryEnter())
                {
                    Interlocked.Increment(ref passed);
                }
            }
        })));
        Assert.Equal(1, passed);
    }
}
