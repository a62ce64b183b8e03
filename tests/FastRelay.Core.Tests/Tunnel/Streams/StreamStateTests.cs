namespace FastRelay.Tunnel.Streams;

/// <summary>Stream ids (§4.5), the stream state table, and the flood counters (§4.10).</summary>
public sealed class StreamStateTests
{
    [Fact]
    public void Allocator_OddStrictlyIncreasing()
    {
        var ids = new StreamIdAllocator();
        Assert.True(ids.TryAllocate(out var a));
        Assert.True(ids.TryAllocate(out var b));
        Assert.Equal((1u, 3u), (a, b));
        Assert.Equal(2, ids.Allocated);
    }

    [Theory]
    [InlineData(new uint[] { 1, 3, 7 }, new[] { true, true, true })]
    [InlineData(new uint[] { 1, 1 }, new[] { true, false })]
    [InlineData(new uint[] { 5, 3 }, new[] { true, false })]
    [InlineData(new uint[] { 2 }, new[] { false })]
    [InlineData(new uint[] { 0 }, new[] { false })]
    public void IncomingIds_OddAndIncreasingOnly(uint[] ids, bool[] accepted)
    {
        var incoming = new IncomingStreamIds();
        Assert.Equal(accepted, ids.Select(id => incoming.Accept(id) == IncomingIdKind.New).ToArray());
    }

    [Fact]
    public void IncomingIds_WasSeen_OnlyOddIdsUpToTheHighest()
    {
        // A frame for a seen id that finds no stream raced with an RST (ignored); an even id never belonged to the
        // edge, so a frame for one is a PROTOCOL_ERROR even below the highest odd id (§4.5).
        var incoming = new IncomingStreamIds();
        incoming.Accept(1);
        incoming.Accept(5);
        Assert.Equal([false, true, false, true, false, true, false], Enumerable.Range(0, 7).Select(id => incoming.WasSeen((uint)id)).ToArray());
    }

    [Fact]
    public void Lifecycle_FinBothWays_ClosedOnce()
    {
        var stream = new StreamLifecycle();
        Assert.Equal(StreamEvent.Violation, stream.OnDataReceived(fin: false)); // before OPEN_OK
        Assert.Equal(StreamEvent.Accepted, stream.OnOpened());
        Assert.Equal(StreamEvent.Violation, stream.OnOpened());
        Assert.Equal(StreamEvent.Accepted, stream.OnDataReceived(fin: true));
        Assert.Equal(StreamEvent.Violation, stream.OnDataReceived(fin: false)); // after FIN
        Assert.Equal(StreamEvent.Closed, stream.OnFinSent());
        Assert.True(stream.IsClosed);
        Assert.Equal(StreamEvent.Accepted, stream.OnReset());
    }

    [Fact]
    public void Lifecycle_Reset_ClosesAtOnce()
    {
        var stream = new StreamLifecycle();
        stream.OnOpened();
        Assert.Equal(StreamEvent.Closed, stream.OnReset());
        Assert.True(stream.IsClosed);
        Assert.Equal(StreamEvent.Accepted, stream.OnReset());
    }

    [Fact]
    public void FloodGuard_PingsAboveFourTimesRate_FlaggedAndWindowResets()
    {
        var limits = FloodLimits.For(TimeSpan.FromSeconds(1), 256);
        Assert.Equal(4, limits.PingsPerSecond);
        var guard = new FloodGuard(limits, timestampFrequency: 1000);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(FloodKind.None, guard.OnPing(10 + i));
        }

        Assert.Equal(FloodKind.Pings, guard.OnPing(20));
        Assert.Equal(FloodKind.None, guard.OnPing(1100)); // next second
    }

    [Fact]
    public void FloodLimits_FastPeer_AllowsFourTimesItsRate()
    {
        Assert.Equal(40, FloodLimits.For(TimeSpan.FromMilliseconds(100), 256).PingsPerSecond);
        Assert.Equal(1024, FloodLimits.For(TimeSpan.FromSeconds(1), 256).ResetsPerSecond);
    }
}
