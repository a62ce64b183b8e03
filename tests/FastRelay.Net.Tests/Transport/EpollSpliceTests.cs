using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.TestKit;
using FastRelay.Transport;
using FastRelay.Transport.Epoll;

namespace FastRelay.Net.Tests.Transport;

/// <summary>
/// Bulk flows on the epoll path splice through kernel pipes (<c>--splice on</c>, SplicePipes): real loopback socket
/// pairs, one loop. What must hold: every byte arrives in order with the FIN behind it, a slow receiver holds bytes in
/// the pipe (not in the relay), the pipe budget is never exceeded and a flow without a pipe copies instead, and an
/// aborted connection's pipe is closed, not reused with stale bytes in it.
/// </summary>
public sealed class EpollSpliceTests : IDisposable
{
    private const int Preload = 128 * 1024; // Queued before the relay starts: its first read is a full block.

    private readonly BlockMemoryPool _blocks = new(64 * 1024, maxRetainedBlocks: 64);
    private readonly Socket _listener;
    private EpollEngine? _engine;

    public EpollSpliceTests()
    {
        Assert.True(EpollEngine.IsSupported, "these tests run where the edge's default data path is epoll (Linux x86-64)");
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
    }

    public void Dispose()
    {
        _engine?.Dispose();
        _listener.Dispose();
        _blocks.Dispose();
    }

    [Theory]
    [InlineData(SplicePipes.DefaultMax)]
    [InlineData(0)] // --splice off: the same bytes through the block.
    public async Task Bulk64MiBEachWay_ArrivesByteExact_WithTheFinBehind_SplicedOnlyWhenOn(int pipes)
    {
        var engine = Engine(pipes);
        var up = SocketTestExtensions.RandomBytes(64 << 20, seed: 1);
        var down = SocketTestExtensions.RandomBytes(64 << 20, seed: 2);
        var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine, up.AsMemory(0, Preload), down.AsMemory(0, Preload));

        var uploading = SendThenFinAsync(client, up.AsMemory(Preload));
        var downloading = SendThenFinAsync(upstream, down.AsMemory(Preload));
        var atUpstream = upstream.ReceiveToEndAsync();
        var atClient = client.ReceiveToEndAsync();
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await atUpstream.WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await atClient.WaitAsync(TimeSpan.FromSeconds(60))));
        await Task.WhenAll(uploading, downloading).WithTimeout();

        Assert.Equal(new RelayOutcome(CloseReason.Completed, up.Length, down.Length), await run.AsTask().WithTimeout());
        if (pipes > 0)
        {
            // Both directions spliced (each began with a full block queued); their pipes went back to the loop empty.
            Assert.InRange(engine.OpenPipes, 1, EpollLoop.MaxIdlePipes);
        }
        else
        {
            Assert.Equal(0, engine.OpenPipes);
        }

        Dispose(client, relayClient, upstream, relayUpstream);
    }

    [Fact]
    public async Task SlowReceiver_BytesWaitInThePipe_NotInBlocks_ThenAllArriveAndHalfCloseHolds()
    {
        var engine = Engine(SplicePipes.DefaultMax);
        var payload = SocketTestExtensions.RandomBytes(32 << 20, seed: 3);
        var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine, payload.AsMemory(0, Preload));
        var created = _blocks.BlocksCreated;

        // The upstream reads nothing for a while: the relay must push back through TCP, not buffer.
        var sending = SendThenFinAsync(client, payload.AsMemory(Preload));
        Assert.True(await TestTimeouts.EventuallyAsync(() => engine.PipesInUse == 1), "the bulk flow holds its bytes in a pipe");
        await Task.Delay(200);
        Assert.False(sending.IsCompleted, "32 MiB cannot fit in the (small) socket buffers: the relay must have pushed back");
        Assert.Equal(1, engine.PipesInUse); // Still waiting in the pipe, and not in a block:
        Assert.Equal(created, _blocks.BlocksCreated);

        // The client's FIN reached the upstream behind every byte; the other direction still works after it.
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        await sending.WithTimeout();
        await upstream.SendAsync(new byte[] { 7, 8, 9 }, SocketFlags.None);
        Assert.Equal(new byte[] { 7, 8, 9 }, await client.ReceiveExactlyAsync(3).WithTimeout());
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync().WithTimeout());

        Assert.Equal(new RelayOutcome(CloseReason.Completed, payload.Length, 3), await run.AsTask().WithTimeout());
        Dispose(client, relayClient, upstream, relayUpstream);
    }

    [Fact]
    public async Task BudgetOfOnePipe_TwoStalledBulkFlows_TheSecondCopies_BothByteExact()
    {
        var engine = Engine(1);
        var a = SocketTestExtensions.RandomBytes(32 << 20, seed: 4);
        var b = SocketTestExtensions.RandomBytes(32 << 20, seed: 5);
        var first = await StartAsync(engine, a.AsMemory(0, Preload));
        var sendingA = SendThenFinAsync(first.Client, a.AsMemory(Preload));
        Assert.True(await TestTimeouts.EventuallyAsync(() => engine.PipesInUse == 1), "the first bulk flow waits with bytes in the only pipe");
        var created = _blocks.BlocksCreated;

        // Both upstreams read nothing: the first flow holds the only pipe and reads nothing more, so a block taken now is
        // the second flow's, holding its bytes as the copy path does.
        var second = await StartAsync(engine, b.AsMemory(0, Preload));
        var sendingB = SendThenFinAsync(second.Client, b.AsMemory(Preload));
        Assert.True(await TestTimeouts.EventuallyAsync(() => _blocks.BlocksCreated > created), "the second flow copies: it holds a block");
        Assert.Equal(1, engine.OpenPipes); // The budget held.

        Assert.Equal(SHA256.HashData(a), SHA256.HashData(await first.Upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(SHA256.HashData(b), SHA256.HashData(await second.Upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        await Task.WhenAll(sendingA, sendingB).WithTimeout();
        Assert.Equal(1, engine.OpenPipes);

        foreach (var (client, relayClient, upstream, relayUpstream, run) in new[] { first, second })
        {
            upstream.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync().WithTimeout());
            Assert.Equal(CloseReason.Completed, (await run.AsTask().WithTimeout()).Reason);
            Dispose(client, relayClient, upstream, relayUpstream);
        }
    }

    [Fact]
    public async Task AbortWhileThePipeHoldsBytes_ThePipeIsClosed_TheNextFlowGetsOnlyItsOwnBytes()
    {
        var engine = Engine(1);
        var stalledBytes = SocketTestExtensions.RandomBytes(32 << 20, seed: 6);
        var stalled = await StartAsync(engine, stalledBytes.AsMemory(0, Preload));
        var sending = SendThenFinAsync(stalled.Client, stalledBytes.AsMemory(Preload));
        Assert.True(await TestTimeouts.EventuallyAsync(() => engine.PipesInUse == 1), "the bulk flow holds its bytes in a pipe");

        Assert.True(stalled.Relay.TryClose(CloseReason.IdleTimeout));
        Assert.Equal(CloseReason.IdleTimeout, (await stalled.Run.AsTask().WithTimeout()).Reason);
        Assert.Equal(0, engine.OpenPipes); // Closed with its stale bytes, the budget's descriptors given back.
        stalled.RelayClient.Dispose(); // The owner closes the relay's sockets: with linger 0, a reset.
        stalled.RelayUpstream.Dispose();
        await Assert.ThrowsAsync<SocketException>(() => sending.WithTimeout()); // 32 MiB cannot all be in buffers: the reset ends the send.
        Dispose(stalled.Client, stalled.Upstream);

        // The budget's descriptors came back: the next bulk flow can open a pipe, and gets exactly its bytes.
        var payload = SocketTestExtensions.RandomBytes(8 << 20, seed: 7);
        var next = await StartAsync(engine, payload.AsMemory(0, Preload));
        var nextSending = SendThenFinAsync(next.Client, payload.AsMemory(Preload));
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await next.Upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        await nextSending.WithTimeout();
        next.Upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal(CloseReason.Completed, (await next.Run.AsTask().WithTimeout()).Reason);
        Assert.Equal(1, engine.OpenPipes); // It spliced: a copying flow would have left no pipe open.
        Dispose(next.Client, next.RelayClient, next.Upstream, next.RelayUpstream);
    }

    [Fact]
    public async Task UrgentDataInABulkFlow_EveryOrdinaryByteArrives_ThenTheFin()
    {
        // splice(2) stops at a TCP urgent mark and never skips it (EAGAIN; 0 when the FIN is behind it), recv does:
        // a spliced flow must hand over to the copy path there, not stall or take the mark for the end.
        var engine = Engine(SplicePipes.DefaultMax);
        for (var i = 0; i < 5; i++)
        {
            var before = SocketTestExtensions.RandomBytes(4 << 20, seed: 20 + i);
            var after = SocketTestExtensions.RandomBytes(4 << 20, seed: 30 + i);
            var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine, before.AsMemory(0, Preload));
            var sending = Task.Run(async () =>
            {
                await client.SendAsync(before.AsMemory(Preload), SocketFlags.None);
                await client.SendAsync(new byte[] { 0x55 }, SocketFlags.OutOfBand); // Not part of the stream the relay forwards.
                await client.SendAsync(after, SocketFlags.None);
                client.Shutdown(SocketShutdown.Send);
            });

            var received = await upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(SHA256.HashData([.. before, .. after]), SHA256.HashData(received));
            await sending.WithTimeout();
            upstream.Shutdown(SocketShutdown.Send);
            Assert.Equal(CloseReason.Completed, (await run.AsTask().WithTimeout()).Reason);
            Dispose(client, relayClient, upstream, relayUpstream);
        }
    }

    [Fact]
    public async Task SmallMessages_NeverSplice()
    {
        var engine = Engine(SplicePipes.DefaultMax);
        var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine);
        for (var i = 0; i < 200; i++)
        {
            var message = SocketTestExtensions.RandomBytes(1000, seed: i);
            await client.SendAsync(message, SocketFlags.None);
            Assert.Equal(message, await upstream.ReceiveExactlyAsync(message.Length).WithTimeout());
        }

        Assert.Equal(0, engine.OpenPipes); // Interactive traffic keeps recv/send: a splice pair costs more for a small read.
        client.Shutdown(SocketShutdown.Send);
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal(CloseReason.Completed, (await run.AsTask().WithTimeout()).Reason);
        Dispose(client, relayClient, upstream, relayUpstream);
    }

    private static async Task SendThenFinAsync(Socket socket, ReadOnlyMemory<byte> payload)
    {
        await socket.SendAsync(payload, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static void Dispose(params Socket[] sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }

    private EpollEngine Engine(int pipes) => _engine = new EpollEngine(_blocks, loopCount: 1, splicePipes: pipes);

    // With small fixed socket buffers, so that a slow receiver fills them fast and 32 MiB never fits; the first
    // bytes each way are queued before the relay starts, so its first read fills a block and the flow is bulk at once
    // (on loopback one segment is 65,483 bytes: a relay that keeps up may never read a whole 64 KiB block).
    private async Task<Started> StartAsync(EpollEngine engine, ReadOnlyMemory<byte> fromClient = default, ReadOnlyMemory<byte> fromUpstream = default)
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        client.SendBufferSize = 256 * 1024; // Fixed sizes (no autotuning): at most ~1.3 MiB in flight between the two ends.
        relayClient.ReceiveBufferSize = 256 * 1024;
        relayUpstream.SendBufferSize = 64 * 1024;
        upstream.ReceiveBufferSize = 64 * 1024;
        await client.SendAsync(fromClient, SocketFlags.None);
        await upstream.SendAsync(fromUpstream, SocketFlags.None);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relayClient.Available >= Math.Min(fromClient.Length, 64 * 1024)
            && relayUpstream.Available >= Math.Min(fromUpstream.Length, 64 * 1024)), "the preloaded bytes reached the relay's sockets");
        var relay = new DuplexRelay(TimeProvider.System);
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, engine.NextLoop()!);
        return new Started(client, relayClient, upstream, relayUpstream, run, relay);
    }

    private async Task<(Socket Outside, Socket Relayed)> PairAsync()
    {
        var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptAsync();
        await outside.ConnectAsync(_listener.LocalEndPoint!);
        return (outside, await accept.WithTimeout());
    }

    private sealed record Started(Socket Client, Socket RelayClient, Socket Upstream, Socket RelayUpstream, ValueTask<RelayOutcome> Run, DuplexRelay Relay)
    {
        public void Deconstruct(out Socket client, out Socket relayClient, out Socket upstream, out Socket relayUpstream, out ValueTask<RelayOutcome> run)
        {
            client = Client;
            relayClient = RelayClient;
            upstream = Upstream;
            relayUpstream = RelayUpstream;
            run = Run;
        }
    }
}
