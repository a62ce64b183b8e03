using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>Streams over a real edge/gateway pair on loopback with real handshakes: bytes, half-close, flow control.</summary>
public sealed class TunnelConnectionTests
{
    [Fact]
    public async Task OpenStream_EchoOneMegabyte_BytesComeBackExact()
    {
        await using var pair = await TunnelPair.StartAsync(new EchoAcceptor());
        var open = await pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(open.IsOpen, open.Error.ToString());
        var stream = open.Stream!;
        var data = StreamIo.RandomBytes(1 << 20, 1);

        var echoed = StreamIo.ReadToEndAsync(stream.Input);
        await StreamIo.WriteAllAsync(stream.Output, data).WithTimeout();

        Assert.Equal(data, await echoed.WithTimeout());
        Assert.Equal(1u, stream.Id);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.OpenStreams == 0 && pair.Gateway.OpenStreams == 0));
    }

    [Fact]
    public async Task HalfClose_EdgeFinishesFirst_GatewayStillSendsAfterItsInputEnds()
    {
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor);
        var opening = pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var (request, done) = await acceptor.NextAsync().AsTask().WithTimeout();
        var gatewayStream = request.Accept()!;
        var edgeStream = (await opening.WithTimeout()).Stream!;

        // Edge → gateway, then FIN: the gateway's Input ends cleanly while its Output stays open.
        var up = StreamIo.RandomBytes(100_000, 2);
        await StreamIo.WriteAllAsync(edgeStream.Output, up).WithTimeout();
        Assert.Equal(up, await StreamIo.ReadToEndAsync(gatewayStream.Input).WithTimeout());

        // Gateway → edge after the edge's FIN: more than a window (256 KiB), so the edge reads while the gateway
        // writes. (Writing it all first hung a clean-clone run: on a loaded machine the writer's flush saw 64 KiB
        // queued and paused, and the 37,856 B left once the window was spent stay above the 32 KiB resume mark
        // until the edge reads: back-pressure working as designed, with nobody reading.)
        var down = StreamIo.RandomBytes(300_000, 3);
        var received = StreamIo.ReadToEndAsync(edgeStream.Input);
        await StreamIo.WriteAllAsync(gatewayStream.Output, down).WithTimeout();
        Assert.Equal(down, await received.WithTimeout());
        done.SetResult();
        Assert.Null(edgeStream.ResetCode);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.OpenStreams == 0 && pair.Gateway.OpenStreams == 0));
    }

    [Theory]
    [InlineData(true, TunnelErrorCode.TargetReset)]
    [InlineData(false, TunnelErrorCode.Cancel)]
    public async Task GatewaySideFails_ATargetResetIsTargetReset_AnythingElseCancel(bool targetReset, TunnelErrorCode expected)
    {
        // §4.4/§4.5: a socket error or the target's TCP RST is RST(TARGET_RESET/CANCEL): the edge can tell them apart.
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor);
        var opening = pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var (request, done) = await acceptor.NextAsync().AsTask().WithTimeout();
        var gatewayStream = request.Accept()!;
        var edgeStream = (await opening.WithTimeout()).Stream!;

        // As the gateway's transport reports a reset target: an IOException around SocketException(ConnectionReset).
        var failure = targetReset
            ? new IOException("Unable to read data from the transport connection", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset))
            : new IOException("Relay direction ended: Failed.");
        await gatewayStream.Output.CompleteAsync(failure);
        done.TrySetResult();

        var error = await Assert.ThrowsAsync<TunnelStreamResetException>(async () => await StreamIo.ReadToEndAsync(edgeStream.Input).WithTimeout());
        Assert.Equal(expected, error.Code);
        Assert.Equal(expected, edgeStream.ResetCode);
    }

    [Fact]
    public async Task HalfClose_GatewayFinishesFirst_EdgeStillSendsAfterItsInputEnds()
    {
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor);
        var opening = pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var (request, done) = await acceptor.NextAsync().AsTask().WithTimeout();
        var gatewayStream = request.Accept()!;
        var edgeStream = (await opening.WithTimeout()).Stream!;

        var down = StreamIo.RandomBytes(200_000, 4);
        await StreamIo.WriteAllAsync(gatewayStream.Output, down).WithTimeout();
        Assert.Equal(down, await StreamIo.ReadToEndAsync(edgeStream.Input).WithTimeout());

        // More than a window: the gateway reads while the edge writes.
        var up = StreamIo.RandomBytes(700_000, 5);
        var received = StreamIo.ReadToEndAsync(gatewayStream.Input);
        await StreamIo.WriteAllAsync(edgeStream.Output, up).WithTimeout();
        Assert.Equal(up, await received.WithTimeout());
        done.SetResult();
        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.OpenStreams == 0 && pair.Gateway.OpenStreams == 0));
    }

    [Fact]
    public async Task SlowStream_BesideFastOne_FastCompletesWhileSlowReaderStalls()
    {
        var options = new TunnelConnectionOptions { InitialWindowBytes = 64 * 1024 };
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor, options, options);
        var slow = await OpenAcceptedAsync(pair, acceptor);
        var fast = await OpenAcceptedAsync(pair, acceptor);
        var payload = StreamIo.RandomBytes(8 << 20, 6);

        // The gateway writes 8 MiB into both; the edge reads only the fast one.
        var slowWriter = StreamIo.WriteAllAsync(slow.Gateway.Output, payload);
        var fastWriter = StreamIo.WriteAllAsync(fast.Gateway.Output, payload);
        Assert.Equal(payload, await StreamIo.ReadToEndAsync(fast.Edge.Input).WithTimeout());
        await fastWriter.WithTimeout();

        // The slow one is held by its window: at most one window buffered at the edge, its writer paused.
        Assert.False(slowWriter.IsCompleted);
        Assert.True(slow.Edge.Receive.Buffered <= options.InitialWindowBytes, $"buffered {slow.Edge.Receive.Buffered}");

        // Once read, it completes too.
        Assert.Equal(payload, await StreamIo.ReadToEndAsync(slow.Edge.Input).WithTimeout());
        await slowWriter.WithTimeout();
    }

    [Fact]
    public async Task GatewayGoAway_WithOpensInFlight_HigherIdsRefusedAndRetryable_OpenStreamFinishes()
    {
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor);
        var first = pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var (request, done) = await acceptor.NextAsync().AsTask().WithTimeout();

        // GOAWAY(last = 1) while the edge fires more OPENs: each is refused somewhere on its way, never dialled.
        pair.Gateway.GoAway(TunnelErrorCode.NoError, "recycling");
        var later = Enumerable.Range(0, 5)
            .Select(_ => pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask())
            .ToArray();
        foreach (var result in await Task.WhenAll(later).WithTimeout())
        {
            Assert.False(result.IsOpen);
            Assert.Equal(TunnelErrorCode.RefusedStream, result.Error);
            Assert.True(result.Retryable);
        }

        Assert.False(acceptor.TryNext(out _));

        // Stream 1 (≤ last id) still works to the end, then both sides close in order.
        var gatewayStream = request.Accept()!;
        var edgeStream = (await first.WithTimeout()).Stream!;
        var echo = EchoAcceptor.EchoAsync(gatewayStream);
        var data = StreamIo.RandomBytes(50_000, 7);
        var back = StreamIo.ReadToEndAsync(edgeStream.Input);
        await StreamIo.WriteAllAsync(edgeStream.Output, data).WithTimeout();
        Assert.Equal(data, await back.WithTimeout());
        await echo.WithTimeout();
        done.SetResult();
        Assert.Contains("GOAWAY", await pair.Gateway.Completion.WithTimeout(), StringComparison.Ordinal);
        await pair.Edge.Completion.WithTimeout();
        Assert.False(pair.Edge.CanOpenStreams);
    }

    internal static async Task<(TunnelStream Edge, TunnelStream Gateway)> OpenAcceptedAsync(TunnelPair pair, ManualAcceptor acceptor)
    {
        var opening = pair.Edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var (request, _) = await acceptor.NextAsync().AsTask().WithTimeout();
        var gateway = request.Accept()!;
        var edge = (await opening.WithTimeout()).Stream!;
        return (edge, gateway);
    }
}
