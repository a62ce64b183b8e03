using System.Text;
using CsCheck;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Relaying;

/// <summary>The relay core on in-memory pipes: no sockets, no sleeps.</summary>
public sealed class DuplexRelayTests
{
    [Fact]
    public async Task RunAsync_BothSidesFinish_HalfCloseEachWay_ReasonCompleted()
    {
        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var run = new DuplexRelay(TimeProvider.System).RunAsync(client, upstream);

        // The client finishes first; the upstream still answers afterwards (half-close).
        await client.PeerWriter.WriteAsync(Encoding.ASCII.GetBytes("request"));
        await client.PeerWriter.CompleteAsync();
        Assert.Equal("request", Encoding.ASCII.GetString(await upstream.ReadAllFromRelayAsync()));
        await upstream.PeerWriter.WriteAsync(Encoding.ASCII.GetBytes("answer!"));
        await upstream.PeerWriter.CompleteAsync();
        Assert.Equal("answer!", Encoding.ASCII.GetString(await client.ReadAllFromRelayAsync()));

        var outcome = await run.WithTimeout();
        Assert.Equal(new RelayOutcome(CloseReason.Completed, 7, 7), outcome);
        Assert.Equal(0, client.Aborts + upstream.Aborts);
    }

    [Fact]
    public async Task RunAsync_DirectionEnded_ToldAtTheFirstFinBeforeTheRelayEnds()
    {
        // The balancer stops counting a session as load at its first FIN (RelayedConnection.EndBackendSession).
        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var ended = new System.Collections.Concurrent.ConcurrentQueue<RelayDirection>();
        var relay = new DuplexRelay(TimeProvider.System) { DirectionEnded = ended.Enqueue };
        var run = relay.RunAsync(client, upstream);

        await client.PeerWriter.CompleteAsync();
        Assert.Empty(await upstream.ReadAllFromRelayAsync());
        Assert.Equal([RelayDirection.ClientToUpstream], ended);
        Assert.False(run.IsCompleted);

        await upstream.PeerWriter.CompleteAsync();
        await run.WithTimeout();
        Assert.Equal([RelayDirection.ClientToUpstream, RelayDirection.UpstreamToClient], ended);
    }

    [Fact]
    public async Task RunAsync_ClientInputFails_BothAborted_ReasonClientReset()
    {
        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var run = new DuplexRelay(TimeProvider.System).RunAsync(client, upstream);

        await client.PeerWriter.CompleteAsync(new IOException("connection reset by peer"));

        var outcome = await run.WithTimeout();
        Assert.Equal(CloseReason.ClientReset, outcome.Reason);
        Assert.Equal(1, client.Aborts);
        Assert.Equal(1, upstream.Aborts);
    }

    [Fact]
    public async Task RunAsync_UpstreamStopsTakingBytes_ReasonUpstreamReset()
    {
        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var run = new DuplexRelay(TimeProvider.System).RunAsync(client, upstream);

        await upstream.PeerReader.CompleteAsync(); // Its socket can no longer send.
        await client.PeerWriter.WriteAsync(new byte[10]);

        Assert.Equal(CloseReason.UpstreamReset, (await run.WithTimeout()).Reason);
    }

    [Fact]
    public async Task TryClose_BeforeRun_AppliesAsSoonAsItStarts()
    {
        var relay = new DuplexRelay(TimeProvider.System);
        Assert.True(relay.TryClose(CloseReason.Shutdown));
        Assert.False(relay.TryClose(CloseReason.IdleTimeout)); // The first reason wins.

        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var outcome = await relay.RunAsync(client, upstream).WithTimeout();

        Assert.Equal(CloseReason.Shutdown, outcome.Reason);
        Assert.Equal(1, client.Aborts);
    }

    [Fact]
    public async Task IdleFor_FollowsTheFakeClock_AndResetsOnTraffic()
    {
        var time = new FakeTimeProvider();
        var relay = new DuplexRelay(time);
        var client = new InMemoryPipeConnection();
        var upstream = new InMemoryPipeConnection();
        var run = relay.RunAsync(client, upstream);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), relay.IdleFor(time.GetTimestamp()));

        await client.PeerWriter.WriteAsync(new byte[1]);
        var read = await upstream.PeerReader.ReadAsync().AsTask().WithTimeout();
        upstream.PeerReader.AdvanceTo(read.Buffer.End);
        Assert.Equal(TimeSpan.Zero, relay.IdleFor(time.GetTimestamp()));

        relay.TryClose(CloseReason.IdleTimeout);
        Assert.Equal(CloseReason.IdleTimeout, (await run.WithTimeout()).Reason);
    }

    [Fact]
    public void Pump_AnyChunking_DeliversTheSameBytesInOrder()
    {
        Gen.Byte.Array[0, 5000].Array[0, 20].Sample(chunks =>
        {
            var client = new InMemoryPipeConnection();
            var upstream = new InMemoryPipeConnection();
            var run = new DuplexRelay(TimeProvider.System).RunAsync(client, upstream);
            foreach (var chunk in chunks)
            {
                client.PeerWriter.WriteAsync(chunk).AsTask().GetAwaiter().GetResult();
            }

            client.PeerWriter.Complete();
            upstream.PeerWriter.Complete();
            var received = upstream.ReadAllFromRelayAsync().GetAwaiter().GetResult();
            client.ReadAllFromRelayAsync().GetAwaiter().GetResult();
            var outcome = run.GetAwaiter().GetResult();
            return received.AsSpan().SequenceEqual(chunks.SelectMany(c => c).ToArray())
                && outcome == new RelayOutcome(CloseReason.Completed, received.Length, 0);
        }, iter: 200);
    }

    [Fact]
    public async Task Shaped_BurstGoesAtOnce_TheRestInPiecesAsTheirTurnsCome_OnlyHandedOnBytesCount()
    {
        // 10,000 bytes in one read, a throttle whose burst is 3,000 bytes in pieces of 1,000. The burst must not wait
        // for the rest's turn, and the counts (which also move the idle clock) must not include bytes still held.
        var throttle = new ManualThrottle(chunkBytes: 1000, burstBytes: 3000);
        var progress = new CountingProgress();
        var source = new System.IO.Pipelines.Pipe();
        var destination = new System.IO.Pipelines.Pipe();
        var pump = PipePump.CopyAsync(source.Reader, destination.Writer, progress, RelayDirection.ClientToUpstream, throttle);

        await source.Writer.WriteAsync(new byte[10_000]);
        Assert.Equal(3000, await ReadAtLeastAsync(destination.Reader, 3000));
        Assert.True(await TestTimeouts.EventuallyAsync(() => progress.Total == 3000));
        for (var released = 1; released <= 7; released++)
        {
            throttle.ReleaseOne();
            Assert.Equal(1000, await ReadAtLeastAsync(destination.Reader, 1000));
            Assert.True(await TestTimeouts.EventuallyAsync(() => progress.Total == 3000 + (1000 * released)), $"counted {progress.Total} after {released} turns");
        }

        Assert.Equal(Enumerable.Repeat(1000, 10), throttle.Booked);
        await source.Writer.CompleteAsync();
        Assert.Equal((PumpResult.SourceCompleted, (Exception?)null), await pump.WithTimeout());
        Assert.Equal(10_000, progress.Total);
    }

    // Reads exactly `bytes` more, failing rather than hanging if they do not come.
    private static async Task<int> ReadAtLeastAsync(System.IO.Pipelines.PipeReader reader, int bytes)
    {
        var read = await reader.ReadAtLeastAsync(bytes).AsTask().WithTimeout();
        var length = (int)Math.Min(read.Buffer.Length, bytes);
        reader.AdvanceTo(read.Buffer.GetPosition(length));
        return length;
    }

    private sealed class CountingProgress : IPumpProgress
    {
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void OnTransferred(RelayDirection direction, long bytes) => Interlocked.Add(ref _total, bytes);
    }

    // A throttle that lets its burst through, then holds each further piece until the test releases it.
    private sealed class ManualThrottle(int chunkBytes, int burstBytes) : IByteThrottle
    {
        private readonly Queue<TaskCompletionSource> _held = new();
        private int _burstLeft = burstBytes;

        public int ChunkBytes => chunkBytes;

        public System.Collections.Concurrent.ConcurrentQueue<int> Booked { get; } = new();

        public ValueTask WaitAsync(int bytes)
        {
            Booked.Enqueue(bytes);
            if ((_burstLeft -= bytes) >= 0)
            {
                return default;
            }

            var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_held)
            {
                _held.Enqueue(turn);
            }

            return new ValueTask(turn.Task);
        }

        public void ReleaseOne()
        {
            TaskCompletionSource? turn = null;
            Assert.True(SpinWait.SpinUntil(() =>
            {
                lock (_held)
                {
                    return _held.TryDequeue(out turn);
                }
            }, TimeSpan.FromSeconds(10)), "the pump never asked for its next turn");
            turn!.SetResult();
        }
    }
}
