using FastRelay.Tunnel.Pool;

namespace FastRelay.Core.Tests.Tunnel.Pool;

/// <summary>The pool's decisions for one gateway: pre-warm, growth on demand, idle reaping down to the warm count.</summary>
public sealed class PoolPlanTests
{
    private static readonly PoolPolicyOptions Options = new(Warm: 2, Keepalive: 3, KeepaliveTimeout: TimeSpan.FromSeconds(75), KeepaliveRequests: 100, MaxStreams: 4);

    private static PooledConnectionView Busy(int streams, bool room = true) => new(true, streams, room, TimeSpan.Zero);

    private static PooledConnectionView Idle(double seconds) => new(true, 0, true, TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData(0, 0, 2)] // Start: the warm connections.
    [InlineData(1, 0, 1)] // One died: replace it.
    [InlineData(0, 1, 1)] // One dial on its way already.
    [InlineData(0, 2, 0)]
    public void DialsNeeded_BelowWarm_DialsTheDeficit(int usable, int inFlight, int expected)
    {
        var views = Enumerable.Range(0, usable).Select(_ => Busy(1)).ToArray();
        Assert.Equal(expected, PoolPlan.DialsNeeded(views, inFlight, Options));
    }

    [Fact]
    public void DialsNeeded_AllFull_GrowsByOne()
    {
        PooledConnectionView[] views = [Busy(4, room: false), Busy(4, room: false)];

        Assert.Equal(1, PoolPlan.DialsNeeded(views, 0, Options));
        Assert.Equal(0, PoolPlan.DialsNeeded(views, 1, Options)); // One growth dial at a time.
    }

    [Fact]
    public void DialsNeeded_DrainingConnectionsDoNotCount()
    {
        PooledConnectionView[] views = [Busy(1), new(false, 3, false, TimeSpan.Zero)];

        Assert.Equal(1, PoolPlan.DialsNeeded(views, 0, Options)); // Recycled: replaced before anyone waits.
    }

    [Fact]
    public void DialsNeeded_NoWarmConnections_DialsOnlyWhenASessionWaits()
    {
        var options = Options with { Warm = 0 };

        Assert.Equal(0, PoolPlan.DialsNeeded([], 0, options));
        Assert.Equal(1, PoolPlan.DialsNeeded([], 0, options, sessionWaiting: true));
        Assert.Equal(0, PoolPlan.DialsNeeded([], 1, options, sessionWaiting: true));
    }

    [Fact]
    public void DialsNeeded_RoomLeft_DialsNothing() =>
        Assert.Equal(0, PoolPlan.DialsNeeded([Busy(4, room: false), Busy(3)], 0, Options));

    [Fact]
    public void SelectReaped_IdlePastTimeout_ReapsDownToWarm()
    {
        PooledConnectionView[] views = [Idle(80), Idle(100), Busy(2), Idle(10), Idle(90)];
        Span<int> reap = stackalloc int[views.Length];

        var count = PoolPlan.SelectReaped(views, Options, reap);

        // Five usable, warm 2: the three longest idle past 75 s go, longest first.
        Assert.Equal([1, 4, 0], reap[..count].ToArray());
    }

    [Fact]
    public void SelectReaped_TooManyIdle_ReapsBeyondKeepaliveAtOnce()
    {
        var options = Options with { Warm = 1, Keepalive = 2 };
        PooledConnectionView[] views = [Idle(1), Idle(3), Idle(2), Idle(0.5)];
        Span<int> reap = stackalloc int[views.Length];

        var count = PoolPlan.SelectReaped(views, options, reap);

        Assert.Equal([1, 2], reap[..count].ToArray()); // Four idle, keepalive 2: the two longest idle.
    }

    [Fact]
    public void SelectReaped_AtWarm_ReapsNothing()
    {
        Span<int> reap = stackalloc int[2];
        Assert.Equal(0, PoolPlan.SelectReaped([Idle(1000), Idle(1000)], Options, reap));
    }

    [Fact]
    public void SelectReaped_BusyConnections_AreNeverReaped()
    {
        Span<int> reap = stackalloc int[4];
        Assert.Equal(0, PoolPlan.SelectReaped([Busy(1), Busy(1), Busy(1), Busy(1)], Options with { Warm = 0 }, reap));
    }
}
