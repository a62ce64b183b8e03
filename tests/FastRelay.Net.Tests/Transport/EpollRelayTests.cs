using System.Net;
using System.Net.Sockets;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.TestKit;
using FastRelay.Transport;
using FastRelay.Transport.Epoll;

namespace FastRelay.Net.Tests.Transport;

/// <summary>
/// The epoll relay on its own (no edge around it): real loopback socket pairs, one loop. The contract it shares with
/// the pipe path is tested through the edge on both paths (Relaying/DataPaths); these are the cases only this path has:
/// back-pressure held in the read block, a FIN that arrives with the last data, an abort posted from another thread,
/// the loops stopping under a live relay, and the connect that never joins the runtime's socket engine.
/// </summary>
public sealed class EpollRelayTests : IAsyncLifetime, IDisposable
{
    private readonly BlockMemoryPool _blocks = new(64 * 1024, maxRetainedBlocks: 64);
    private EpollEngine _engine = null!;
    private Socket _listener = null!;

    public Task InitializeAsync()
    {
        Assert.True(EpollEngine.IsSupported, "these tests run where the edge's default data path is epoll (Linux x86-64)");
        _engine = new EpollEngine(_blocks, loopCount: 1);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _engine.Dispose();
        _listener.Dispose();
        _blocks.Dispose();
    }

    [Fact]
    public async Task SinkStopsReading_RelayHoldsAtMostTwoBlocks_ThenDeliversEveryByteAndTheFin()
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var relay = new DuplexRelay(TimeProvider.System);
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, _engine.NextLoop()!);
        var created = _blocks.BlocksCreated;

        // 32 MiB against an upstream that reads nothing yet: the kernel buffers fill, then the relay must stop
        // reading (no block per read piling up) rather than buffer the rest itself.
        var payload = SocketTestExtensions.RandomBytes(32 << 20, seed: 11);
        var sending = Task.Run(async () =>
        {
            await client.SendAsync(payload, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
        });
        await Task.Delay(300);
        Assert.False(sending.IsCompleted, "32 MiB cannot fit in loopback socket buffers: the relay must have pushed back");
        Assert.True(_blocks.BlocksCreated - created <= 2, $"{_blocks.BlocksCreated - created} blocks created while the sink was full");

        Assert.Equal(payload, await upstream.ReceiveToEndAsync().WithTimeout());
        await sending.WithTimeout();
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync().WithTimeout());

        var outcome = await run.AsTask().WithTimeout();
        Assert.Equal(new RelayOutcome(CloseReason.Completed, payload.Length, 0), outcome);
        relayClient.Dispose();
        relayUpstream.Dispose();
    }

    [Fact]
    public async Task DataAndFinQueuedBeforeTheRelayStarts_BothArePassedOn()
    {
        // The FIN sits behind the data in the receive queue and raises no edge of its own after the first read:
        // a relay that stopped at the short read would never pass it on (found by the harness's many-stream bulk).
        for (var i = 0; i < 50; i++)
        {
            var (client, relayClient) = await PairAsync();
            var (upstream, relayUpstream) = await PairAsync();
            var request = SocketTestExtensions.RandomBytes(1000 + i, seed: i);
            await client.SendAsync(request, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);

            var relay = new DuplexRelay(TimeProvider.System);
            var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, _engine.NextLoop()!);
            Assert.Equal(request, await upstream.ReceiveToEndAsync().WithTimeout());
            upstream.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync().WithTimeout());
            Assert.Equal(CloseReason.Completed, (await run.AsTask().WithTimeout()).Reason);
            foreach (var socket in new[] { client, relayClient, upstream, relayUpstream })
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task BulkQueuedBeforeTheRelayStarts_EveryByteArrives()
    {
        // The client's data is readable the moment its socket is registered, before the upstream socket is: a send to
        // the upstream that comes up short then must still learn when the upstream drains (the first version asked for
        // EPOLLOUT on a socket not registered yet and stalled; found by AllocationTests.Bulk256MiB).
        var loop = _engine.NextLoop()!;
        loop.AfterFirstAdd = () => Thread.Sleep(20); // The loop thread gets the client's data while the upstream is not registered yet.
        for (var i = 0; i < 5; i++)
        {
            var (client, relayClient) = await PairAsync();
            var (upstream, relayUpstream) = await PairAsync();
            var payload = SocketTestExtensions.RandomBytes(4 << 20, seed: 100 + i);
            relayUpstream.SendBufferSize = 32 * 1024; // So that a send to the upstream comes up short within that window.
            upstream.ReceiveBufferSize = 32 * 1024;
            var sending = Task.Run(async () =>
            {
                await client.SendAsync(payload, SocketFlags.None);
                client.Shutdown(SocketShutdown.Send);
            });
            await Task.Delay(20); // Let the client fill its socket buffers first.

            var run = new EpollRelay().RunAsync(relayClient, relayUpstream, new DuplexRelay(TimeProvider.System), TimeProvider.System, loop);
            Assert.Equal(payload, await upstream.ReceiveToEndAsync().WithTimeout());
            await sending.WithTimeout();
            upstream.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync().WithTimeout());
            Assert.Equal(new RelayOutcome(CloseReason.Completed, payload.Length, 0), await run.AsTask().WithTimeout());
            foreach (var socket in new[] { client, relayClient, upstream, relayUpstream })
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task TryCloseFromAnotherThread_BothPeersAreReset_ReasonIsTheClosers()
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var relay = new DuplexRelay(TimeProvider.System);
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, _engine.NextLoop()!);
        await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
        Assert.Equal(new byte[] { 1, 2, 3 }, await upstream.ReceiveExactlyAsync(3).WithTimeout());

        await Task.Run(() => Assert.True(relay.TryClose(CloseReason.IdleTimeout)));
        var outcome = await run.AsTask().WithTimeout();
        relayClient.Dispose();
        relayUpstream.Dispose();

        Assert.Equal(new RelayOutcome(CloseReason.IdleTimeout, 3, 0), outcome);
        await Assert.ThrowsAsync<SocketException>(() => client.ReceiveToEndAsync().WithTimeout());
        await Assert.ThrowsAsync<SocketException>(() => upstream.ReceiveToEndAsync().WithTimeout());
    }

    [Fact]
    public async Task UpstreamResets_ClientIsReset_ReasonIsUpstreamReset_BothDirectionsReportedEnded()
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var relay = new DuplexRelay(TimeProvider.System);
        var ended = new List<RelayDirection>();
        relay.DirectionEnded = d => { lock (ended) { ended.Add(d); } };
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, _engine.NextLoop()!);

        upstream.Reset();
        var outcome = await run.AsTask().WithTimeout();
        relayClient.Dispose();
        relayUpstream.Dispose();

        Assert.Equal(CloseReason.UpstreamReset, outcome.Reason);
        Assert.Equal([RelayDirection.ClientToUpstream, RelayDirection.UpstreamToClient], ended.Order());
        await Assert.ThrowsAsync<SocketException>(() => client.ReceiveToEndAsync().WithTimeout());
    }

    [Fact]
    public async Task ClosedBeforeTheRelayStarts_AbortsAtOnce()
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var relay = new DuplexRelay(TimeProvider.System);
        relay.TryClose(CloseReason.Shutdown); // The drain reached the connection while it was dialling.

        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, _engine.NextLoop()!);
        await AssertEndedWithResetAsync(run, CloseReason.Shutdown, client, relayClient, upstream, relayUpstream);
    }

    [Fact]
    public async Task EngineDisposedUnderALiveRelay_RelayEndsWithShutdown_LoopThreadGone()
    {
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var relay = new DuplexRelay(TimeProvider.System);
        var loop = _engine.NextLoop()!;
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, relay, TimeProvider.System, loop);
        Assert.True(await TestTimeouts.EventuallyAsync(() => loop.Active == 1));

        _engine.Dispose();
        Assert.Equal(CloseReason.Shutdown, (await run.AsTask().WithTimeout()).Reason);
        Assert.Null(_engine.NextLoop()); // The edge then relays through pipes.
        foreach (var socket in new[] { client, relayClient, upstream, relayUpstream })
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task PostedToAStoppedLoop_TheRelayEndsOnThePostersThread_NothingHangs()
    {
        var loop = _engine.NextLoop()!;
        _engine.Dispose(); // A dial that finished after the edge was disposed still holds this loop.

        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var run = new EpollRelay().RunAsync(relayClient, relayUpstream, new DuplexRelay(TimeProvider.System), TimeProvider.System, loop);
        await AssertEndedWithResetAsync(run, CloseReason.Shutdown, client, relayClient, upstream, relayUpstream);
    }

    [Fact]
    public async Task BulkTransferOnTheSameLoop_DoesNotStarveAnInteractiveConnection()
    {
        // One loop carries both: a sender that never pauses, and a ping-pong that must keep getting turns (the read
        // budget hands the loop back after 16 blocks of one flow).
        var (bulkClient, bulkRelayClient) = await PairAsync();
        var (bulkUpstream, bulkRelayUpstream) = await PairAsync();
        var bulk = new EpollRelay().RunAsync(bulkRelayClient, bulkRelayUpstream, new DuplexRelay(TimeProvider.System), TimeProvider.System, _engine.NextLoop()!);
        var (client, relayClient) = await PairAsync();
        var (upstream, relayUpstream) = await PairAsync();
        var interactive = new EpollRelay().RunAsync(relayClient, relayUpstream, new DuplexRelay(TimeProvider.System), TimeProvider.System, _engine.NextLoop()!);

        using var stop = new CancellationTokenSource();
        var chunk = new byte[1 << 20];
        var sender = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await bulkClient.SendAsync(chunk, SocketFlags.None);
            }
        });
        var drain = Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            while (await bulkUpstream.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        });

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(new[] { (byte)i }, await upstream.ReceiveExactlyAsync(1).WithTimeout());
            await upstream.SendAsync(new[] { (byte)(i + 1) }, SocketFlags.None);
            Assert.Equal(new[] { (byte)(i + 1) }, await client.ReceiveExactlyAsync(1).WithTimeout());
        }

        Assert.False(sender.IsCompleted, "the bulk sender was still running during every exchange");
        await stop.CancelAsync();
        await sender.WithTimeout();
        bulkClient.Shutdown(SocketShutdown.Send);
        await drain.WithTimeout();
        bulkUpstream.Shutdown(SocketShutdown.Send);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await upstream.ReceiveToEndAsync().WithTimeout());
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal(CloseReason.Completed, (await bulk.AsTask().WithTimeout()).Reason);
        Assert.Equal(CloseReason.Completed, (await interactive.AsTask().WithTimeout()).Reason);
        foreach (var socket in new[] { bulkClient, bulkRelayClient, bulkUpstream, bulkRelayUpstream, client, relayClient, upstream, relayUpstream })
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task Connect_RefusedAndTimedOut_ReportLikeConnectAsync()
    {
        // Refused: a port nobody listens on.
        var closedEndPoint = FaultyListeners.RefusingEndPoint();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => _engine.ConnectAsync(socket, closedEndPoint, CancellationToken.None).WithTimeout());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // No answer: a listener whose accept queue is full drops further SYNs, so the connect waits on the loop
        // until the token fires.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(1);
        var fillers = new List<Socket>();
        try
        {
            using var waiting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                // 1 s: a loopback connect to a queue with room takes far less, even on a loaded machine.
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    await _engine.ConnectAsync(filler, (IPEndPoint)full.LocalEndPoint!, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // The queue is full: this one already waited on the loop and was cancelled.
                }
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.ConnectAsync(waiting, (IPEndPoint)full.LocalEndPoint!, deadline.Token).WithTimeout());
            Assert.Equal(0, _engine.Active); // The cancelled connects left the loop.
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    // The relay ended with reason, its sockets are closed (reset), and the client sees the reset.
    private static async Task AssertEndedWithResetAsync(ValueTask<RelayOutcome> run, CloseReason reason, Socket client, Socket relayClient, Socket upstream, Socket relayUpstream)
    {
        var outcome = await run.AsTask().WithTimeout();
        relayClient.Dispose();
        relayUpstream.Dispose();
        Assert.Equal(reason, outcome.Reason);
        await Assert.ThrowsAsync<SocketException>(() => client.ReceiveToEndAsync().WithTimeout());
        client.Dispose();
        upstream.Dispose();
    }

    private async Task<(Socket Outside, Socket Relayed)> PairAsync()
    {
        var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptAsync();
        await outside.ConnectAsync(_listener.LocalEndPoint!);
        return (outside, await accept.WithTimeout());
    }
}
