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
        var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine);
        var up = SocketTestExtensions.RandomBytes(64 << 20, seed: 1);
        var down = SocketTestExtensions.RandomBytes(64 << 20, seed: 2);

        var uploading = SendThenFinAsync(client, up);
        var downloading = SendThenFinAsync(upstream, down);
        var atUpstream = upstream.ReceiveToEndAsync();
        var atClient = client.ReceiveToEndAsync();
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await atUpstream.WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await atClient.WaitAsync(TimeSpan.FromSeconds(60))));
        await Task.WhenAll(uploading, downloading).WithTimeout();

        Assert.Equal(new RelayOutcome(CloseReason.Completed, up.Length, down.Length), await run.AsTask().WithTimeout());
        if (pipes > 0)
        {
            // Both directions spliced; their pipes went back to the loop empty, kept for the next bulk flow.
            Assert.InRange(engine.OpenPipes, 1, 2);
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
        var (client, relayClient, upstream, relayUpstream, run) = await StartAsync(engine);
        var created = _blocks.BlocksCreated;
        var payload = SocketTestExtensions.RandomBytes(32 << 20, seed: 3);

        // The upstream reads nothing for a while: the relay must push back through TCP, not buffer.
        var sending = SendThenFinAsync(client, payload);
        await Task.Delay(300);
        Assert.False(sending.IsCompleted, "32 MiB cannot fit in loopback socket buffers: the relay must have pushed back");
        Assert.True(_blocks.BlocksCreated - created <= 1, $"{_blocks.BlocksCreated - created} blocks created while the sink was full");
        Assert.Equal(1, engine.OpenPipes);

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
        var first = await StartAsync(engine);
        var second = await StartAsync(engine);
        var a = SocketTestExtensions.RandomBytes(32 << 20, seed: 4);
        var b = SocketTestExtensions.RandomBytes(32 << 20, seed: 5);

        // Both upstreams read nothing: the first bulk flow keeps the only pipe full, the second must copy.
        var sendingA = SendThenFinAsync(first.Client, a);
        var sendingB = SendThenFinAsync(second.Client, b);
        await Task.Delay(300);
        Assert.Equal(1, engine.OpenPipes);

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
        var stalled = await StartAsync(engine);
        var sending = SendThenFinAsync(stalled.Client, SocketTestExtensions.RandomBytes(32 << 20, seed: 6));
        await Task.Delay(300);
        Assert.Equal(1, engine.OpenPipes);

        Assert.True(stalled.Relay.TryClose(CloseReason.IdleTimeout));
        Assert.Equal(CloseReason.IdleTimeout, (await stalled.Run.AsTask().WithTimeout()).Reason);
        Assert.Equal(0, engine.OpenPipes); // Closed with its stale bytes, the budget's descriptors given back.
        stalled.RelayClient.Dispose(); // The owner closes the relay's sockets: with linger 0, a reset.
        stalled.RelayUpstream.Dispose();
        await Assert.ThrowsAsync<SocketException>(() => sending.WithTimeout()); // 32 MiB cannot all be in buffers: the reset ends the send.
        Dispose(stalled.Client, stalled.Upstream);

        // The next bulk flow gets a new pipe and exactly its own bytes.
        var next = await StartAsync(engine);
        var payload = SocketTestExtensions.RandomBytes(8 << 20, seed: 7);
        var nextSending = SendThenFinAsync(next.Client, payload);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await next.Upstream.ReceiveToEndAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        await nextSending.WithTimeout();
        next.Upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal(CloseReason.Completed, (await next.Run.AsTask().WithTimeout()).Reason);
        Assert.Equal(1, engine.OpenPipes);
        Dispose(next.Client, next.RelayClient, next.Upstream, next.RelayUpstream);
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

    private static async Task SendThenFinAsync(Socket socket, byte[] payload)
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

    private async Task<Started> StartAsync(EpollEngine engine)
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
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
