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
}
