using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Core.Tests.Routing;

/// <summary>Which target a failed session tries next: a different backend each time, in the route's order after the first pick.</summary>
public sealed class RetryOrderTests
{
    private static readonly TargetOptions A = new("a", 1, 1);
    private static readonly TargetOptions B = new("b", 1, 1);
    private static readonly TargetOptions C = new("c", 1, 1);

    [Theory]
    [InlineData("a", 1, "b")]
    [InlineData("a", 2, "c")]
    [InlineData("a", 3, null)]
    [InlineData("b", 1, "c")]
    [InlineData("b", 2, "a")] // Wraps: retries spread over the route instead of all landing on its first target.
    [InlineData("c", 1, "a")]
    public void Next_StartsAfterTheFirstPick_AndWraps(string first, int retry, string? expected)
    {
        TargetOptions[] route = [A, B, C];
        Assert.Equal(expected, RetryOrder.Next(route, route.Single(t => t.Host == first), retry)?.Host);
    }

    [Fact]
    public void Next_SingleTarget_HasNoRetry()
    {
        Assert.Null(RetryOrder.Next([A], A, 1));
    }

    [Fact]
    public void Next_SameBackendListedTwice_IsNeverRetried()
    {
        // Identity is (Host, Port, ViaTunnel): the weight does not make a second backend, nor does the host's case.
        TargetOptions[] route = [A, new("A", 1, 5), B, new("b", 1, 2), new("a", 1, 1, ViaTunnel: true)];
        Assert.Equal("b", RetryOrder.Next(route, A, 1)?.Host);
        Assert.True(RetryOrder.Next(route, A, 2)!.ViaTunnel);
        Assert.Null(RetryOrder.Next(route, A, 3));
    }

    [Fact]
    public void Next_FirstPickNotInTheList_StartsAtTheTop()
    {
        // A picker may hand out a target of an older candidate list (discovery changed it meanwhile).
        Assert.Equal("a", RetryOrder.Next([A, B], C, 1)?.Host);
        Assert.Equal("b", RetryOrder.Next([A, B], C, 2)?.Host);
        Assert.Null(RetryOrder.Next([A, B], C, 3));
    }
}
