using FastRelay.Listening;

namespace FastRelay.Net.Tests.Listening;

public sealed class AcceptBackoffTests
{
    [Fact]
    public void NextDelay_DoublesFrom5msToAtMost1s_ResetStartsOver()
    {
        var backoff = new AcceptBackoff();
        var delays = Enumerable.Range(0, 10).Select(_ => (int)backoff.NextDelay().TotalMilliseconds).ToList();
        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);

        backoff.Reset();
        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.NextDelay());
    }
}
