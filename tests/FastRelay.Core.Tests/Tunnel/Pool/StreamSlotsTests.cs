using FastRelay.Tunnel.Pool;

namespace FastRelay.Core.Tests.Tunnel.Pool;

/// <summary>The edge's per-connection stream count: never above max streams, never past --keepalive-requests, even under races.</summary>
public sealed class StreamSlotsTests
{
    [Fact]
    public void TryReserve_AtMaxStreams_ReturnsFalseUntilReleased()
    {
        var slots = new StreamSlots(maxStreams: 2, maxRequests: 0);

        Assert.True(slots.TryReserve());
        Assert.True(slots.TryReserve());
        Assert.False(slots.TryReserve());
        slots.Release();
        Assert.True(slots.TryReserve());
        Assert.Equal(3, slots.Reserved);
    }

    [Fact]
    public void TryReserve_AfterKeepaliveRequests_IsSpentForGood()
    {
        var slots = new StreamSlots(maxStreams: 10, maxRequests: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(slots.TryReserve());
            slots.Release();
        }

        Assert.True(slots.IsSpent);
        Assert.False(slots.HasRoom);
        Assert.False(slots.TryReserve());
    }

    [Fact]
    public void TryReserve_ManyThreads_NeverExceedsEitherLimit()
    {
        var slots = new StreamSlots(maxStreams: 8, maxRequests: 1000);
        var granted = 0;
        var maxOpen = 0;
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 5000; i++)
            {
                if (slots.TryReserve())
                {
                    Interlocked.Increment(ref granted);
                    var open = slots.Open;
                    InterlockedMax(ref maxOpen, open);
                    slots.Release();
                }
            }
        });

        Assert.Equal(1000, granted);
        Assert.InRange(maxOpen, 1, 8);
        Assert.Equal(0, slots.Open);
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int current;
        while ((current = Volatile.Read(ref location)) < value && Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }
}
