using CsCheck;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Streams;

/// <summary>Per-stream credit and the connection budget (§4.6): the properties that bound memory.</summary>
public sealed class FlowControlTests
{
    [Fact]
    public void SendWindow_GrantPast2To31Minus1_RefusedAndUnchanged()
    {
        var window = new SendWindow(256 * 1024);
        Assert.False(window.TryGrant((uint)(FrameLimits.MaxWindow - (256 * 1024) + 1)));
        Assert.Equal(256 * 1024, window.Available);
        Assert.True(window.TryGrant((uint)(FrameLimits.MaxWindow - (256 * 1024))));
        Assert.Equal(FrameLimits.MaxWindow, window.Available);
        window.Consume(10);
        Assert.True(window.TryGrant(10));
        Assert.False(window.TryGrant(1));
    }

    [Fact]
    public void ReceiveWindow_UpdateOnlyAfterHalfDrained()
    {
        var budget = new ReceiveBudget(1 << 20);
        var window = ReceiveWindow.TryCreate(budget, 1000, 0)!;
        Assert.True(window.TryReceive(1000));
        Assert.False(window.TryReceive(1));
        Assert.Equal(0u, window.OnConsumed(499, 0, 0));
        Assert.Equal(500u, window.OnConsumed(1, 0, 0));
        Assert.True(window.TryReceive(500));
        Assert.False(window.TryReceive(1));
    }

    [Fact]
    public void ReceiveBudget_Full_NewStreamRefused()
    {
        var budget = new ReceiveBudget(3 * 1000);
        var streams = Enumerable.Range(0, 3).Select(_ => ReceiveWindow.TryCreate(budget, 1000, 0)).ToArray();
        Assert.All(streams, Assert.NotNull);
        Assert.Null(ReceiveWindow.TryCreate(budget, 1000, 0));
        streams[0]!.Close();
        Assert.NotNull(ReceiveWindow.TryCreate(budget, 1000, 0));
    }

    [Fact]
    public void ReceiveWindow_AutoTune_GrowsOnlyWithinBudget()
    {
        var budget = new ReceiveBudget(3000);
        var window = ReceiveWindow.TryCreate(budget, 1000, 0)!;
        Assert.True(window.TryReceive(1000));

        // Drained within 2 RTT of the last update: the window doubles (1000 more reserved).
        Assert.Equal(2000u, window.OnConsumed(1000, nowTimestamp: 5, rttTimestampTicks: 10));
        Assert.Equal(2000, window.Window);
        Assert.Equal(2000, budget.Reserved);
        Assert.True(window.TryReceive(2000));

        // Doubling again would need 2000 more of the 1000 left: no growth, the plain update only.
        Assert.Equal(2000u, window.OnConsumed(2000, nowTimestamp: 6, rttTimestampTicks: 10));
        Assert.Equal(2000, window.Window);
    }

    private enum Op { Receive, Consume, Close }

    /// <summary>
    /// Any mix of arrivals (up to the credit), reads, and closes across streams keeps Σ(buffered + credit) within
    /// the budget, never lets a stream buffer more than its window, and returns every byte at the end.
    /// </summary>
    [Fact]
    public void Budget_RandomTraffic_NeverExceededAndFullyReturned()
    {
        var op = Gen.Select(Gen.Enum<Op>(), Gen.Int[0, 3], Gen.Int[1, 70_000]);
        Gen.Select(op.Array[1, 300], Gen.Int[1, 4]).Sample((ops, streamCount) =>
        {
            var budget = new ReceiveBudget(4 * 64 * 1024);
            var windows = new ReceiveWindow?[4];
            var credit = new long[4];
            var buffered = new long[4];
            for (var i = 0; i < streamCount; i++)
            {
                windows[i] = ReceiveWindow.TryCreate(budget, 64 * 1024, 0);
                credit[i] = 64 * 1024;
            }

            foreach (var (kind, index, amount) in ops)
            {
                var i = index % streamCount;
                var window = windows[i];
                if (window is null)
                {
                    continue;
                }

                switch (kind)
                {
                    case Op.Receive:
                        var ok = window.TryReceive(amount);
                        Assert.Equal(amount <= credit[i], ok);
                        if (ok)
                        {
                            credit[i] -= amount;
                            buffered[i] += amount;
                        }

                        break;
                    case Op.Consume:
                        var drained = Math.Min(amount, buffered[i]);
                        buffered[i] -= drained;
                        credit[i] += window.OnConsumed(drained, 0, 0);
                        break;
                    default:
                        window.Close();
                        window.OnConsumed(buffered[i], 0, 0);
                        buffered[i] = 0;
                        windows[i] = null;
                        break;
                }

                Assert.True(budget.Reserved <= budget.Limit);
                Assert.True(buffered[i] + credit[i] <= 64 * 1024);
            }

            for (var i = 0; i < streamCount; i++)
            {
                windows[i]?.Close();
                windows[i]?.DiscardBuffered();
            }

            Assert.Equal(0, budget.Reserved);
        }, iter: 500);
    }
}
