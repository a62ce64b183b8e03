using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Core.Tests.Routing;

public sealed class TargetSelectorTests
{
    [Fact]
    public void Next_EqualWeights_RoundRobins()
    {
        var selector = new TargetSelector([new("a", 1, 1), new("b", 1, 1), new("c", 1, 1)]);
        Assert.Equal(["a", "b", "c", "a", "b", "c"], Enumerable.Range(0, 6).Select(_ => selector.Next().Host));
    }

    [Fact]
    public void Next_Weights_AreSmoothAndExact()
    {
        // nginx's smooth weighted round-robin: 5,1,1 interleaves the heavy target instead of bursting it.
        var selector = new TargetSelector([new("a", 1, 5), new("b", 1, 1), new("c", 1, 1)]);
        var picks = Enumerable.Range(0, 7).Select(_ => selector.Next().Host).ToList();
        Assert.Equal(["a", "a", "b", "a", "c", "a", "a"], picks);
    }

    [Fact]
    public void Next_TwentyPercentCanary_GetsTwoHundredOfAThousand()
    {
        var selector = new TargetSelector([new("stable", 1, 4), new("canary", 1, 1)]);
        var canary = Enumerable.Range(0, 1000).Count(_ => selector.Next().Host == "canary");
        Assert.Equal(200, canary);
    }

    [Fact]
    public async Task Next_ManyThreads_EveryPickCounted()
    {
        var selector = new TargetSelector([new("a", 1, 1), new("b", 1, 1)]);
        var counts = new int[2];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                Interlocked.Increment(ref counts[selector.Next().Host == "a" ? 0 : 1]);
            }
        })));
        Assert.Equal([20_000, 20_000], counts);
    }
}
