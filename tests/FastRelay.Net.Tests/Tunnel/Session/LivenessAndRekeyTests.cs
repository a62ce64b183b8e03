using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;

namespace FastRelay.Tunnel.Session;

/// <summary>Missed pings (§4.7), rekeys under load (§4.8), and many streams over a small pool of connections.</summary>
public sealed class LivenessAndRekeyTests
{
    [Fact]
    public async Task PeerGoesSilent_AfterThreeMissedPings_DeadAndStreamsReset()
    {
        var options = new TunnelConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100) };
        await using var peer = await RawPeer.StartAsync(realIsGateway: false, options, rawSettings: new TunnelSettings(PingIntervalMs: 100));
        var opening = peer.Connection.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        var open = await peer.ReadUntilAsync(FrameType.Open);
        await peer.SendAsync(peer.Seal(RawPeer.Frame(b => FrameWriter.WriteOpenOk(b, open!.Value.Header.StreamId))));
        var stream = (await opening.WithTimeout()).Stream!;

        // The raw peer now neither reads nor answers: the edge's pings go unanswered.
        var reason = await peer.Connection.Completion.WithTimeout();

        Assert.StartsWith("dead: nothing received for", reason, StringComparison.Ordinal);
        Assert.True(peer.Log.Has(655, "3 ping intervals"), peer.Log.ToString());
        var error = await Assert.ThrowsAsync<TunnelStreamResetException>(async () => await stream.Input.ReadAsync().AsTask().WithTimeout());
        Assert.Equal(TunnelErrorCode.Timeout, error.Code);
        Assert.False(peer.Connection.CanOpenStreams);
    }

    [Fact]
    public async Task Rekey_PeerNeverAnswersInit_RekeyErrorAfterStepTimeout()
    {
        var options = new TunnelConnectionOptions { RekeyInterval = TimeSpan.FromMilliseconds(200), RekeyStepTimeout = TimeSpan.FromMilliseconds(300), PingInterval = TimeSpan.FromMilliseconds(100), PingMissLimit = 50 };
        await using var peer = await RawPeer.StartAsync(realIsGateway: false, options, rawSettings: new TunnelSettings(PingIntervalMs: 100));
        Assert.NotNull(await peer.ReadUntilAsync(FrameType.Rekey));

        Assert.Contains("REKEY RESP not received", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
        Assert.True(peer.Log.Has(652, "RekeyError"));
    }

    [Fact]
    public async Task Rekey_NonceReaches2To32_InitiatedLongBeforeTheInterval()
    {
        // Keys that already counted 2^32 records: the volume trigger of §4.8, not the 120 s interval, starts the rekey.
        var options = new TunnelConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100), PingMissLimit = 50 };
        await using var peer = await RawPeer.StartAsync(realIsGateway: false, options, rawSettings: new TunnelSettings(PingIntervalMs: 100), firstNonce: 1UL << 32);

        var init = await peer.ReadUntilAsync(FrameType.Rekey);

        Assert.Equal(FrameFlags.RekeyInit, init!.Value.Header.Flags);
        Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(init.Value.Body));
    }

    [Fact]
    public async Task Gateway_EdgeNeverRekeys_ClosedPastMaxEpochAge()
    {
        var options = new TunnelConnectionOptions { RekeyInterval = TimeSpan.FromMilliseconds(300), MaxEpochAge = TimeSpan.FromMilliseconds(500), PingInterval = TimeSpan.FromMilliseconds(100), PingMissLimit = 50 };
        await using var peer = await RawPeer.StartAsync(realIsGateway: true, options, rawSettings: new TunnelSettings(PingIntervalMs: 100));

        Assert.Contains("older than the max epoch age", await peer.Connection.Completion.WithTimeout(), StringComparison.Ordinal);
    }

    [Fact]
    public void EpochLimits_EachEndHonoursWhatTheOtherAnnounced()
    {
        var defaults = new TunnelConnectionOptions();

        // An edge with --rekey-interval 10m against a default gateway (max epoch age 270 s) rekeys inside it:
        // (270 - 10) / 1.1 = 236 s, so the gateway never has to cut it off.
        var (edgeInterval, _) = TunnelConnection.EpochLimits(defaults with { RekeyInterval = TimeSpan.FromMinutes(10) }, new TunnelSettings());
        Assert.Equal(260 / 1.1, edgeInterval.TotalSeconds, precision: 3);

        // Defaults on both ends change nothing. The gateway keeps its own max epoch age whatever the edge announces:
        // an edge must not stretch how long a revoked peer's connection can live (CA mode re-checks at each rekey).
        Assert.Equal((TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(270)), TunnelConnection.EpochLimits(defaults, new TunnelSettings()));
        Assert.Equal(TimeSpan.FromSeconds(270), TunnelConnection.EpochLimits(defaults, new TunnelSettings(RekeyIntervalSeconds: 86_400)).MaxEpochAge);

        // A peer whose max epoch age is shorter than one step timeout: rekey at under half of it.
        Assert.Equal(5 / 2.2, TunnelConnection.EpochLimits(defaults, new TunnelSettings(MaxEpochAgeSeconds: 5)).RekeyInterval.TotalSeconds, precision: 3);
    }

    [Fact]
    public async Task GoAway_StreamOutlivesDrainTimeout_ResetWithShuttingDown()
    {
        // PingMissLimit: a pause of 300 ms on a loaded machine must not make "dead" the reason instead of the drain.
        var options = new TunnelConnectionOptions { DrainTimeout = TimeSpan.FromMilliseconds(300), PingInterval = TimeSpan.FromMilliseconds(100), PingMissLimit = 50 };
        var acceptor = new ManualAcceptor();
        await using var pair = await TunnelPair.StartAsync(acceptor, options, options);
        var (edge, gateway) = await TunnelConnectionTests.OpenAcceptedAsync(pair, acceptor);

        pair.Edge.GoAway(TunnelErrorCode.NoError, "recycling");
        Assert.False(pair.Edge.CanOpenStreams);

        var error = await Assert.ThrowsAsync<TunnelStreamResetException>(async () => await StreamIo.ReadToEndAsync(edge.Input).WithTimeout());
        Assert.Equal(TunnelErrorCode.ShuttingDown, error.Code);
        Assert.Equal("drain deadline passed", await pair.Edge.Completion.WithTimeout());
        Assert.True(pair.EdgeLog.Has(661, "drain deadline passed"));

        // The peer got RST(SHUTTING_DOWN) on the wire for its stream (§4.9), not just the connection's end.
        var peerError = await Assert.ThrowsAsync<TunnelStreamResetException>(async () => await StreamIo.ReadToEndAsync(gateway.Input).WithTimeout());
        Assert.Equal(TunnelErrorCode.ShuttingDown, peerError.Code);
    }

    [Fact]
    public async Task Start_OnLinux_SetsNotSentLowWaterAndUserTimeout()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // The options are Linux-only (§4.6, §4.7).
        }

        await using var pair = await TunnelPair.StartAsync(new EchoAcceptor());
        var value = new byte[4];
        pair.EdgeSocket.GetRawSocketOption(6, 25, value);
        Assert.Equal(16 * 1024, BitConverter.ToInt32(value));
        pair.EdgeSocket.GetRawSocketOption(6, 18, value);
        Assert.Equal(3000, BitConverter.ToInt32(value));
    }

    [Fact]
    public async Task Pings_Answered_RttMeasuredAndConnectionStaysUp()
    {
        // Ten intervals before "dead" (1 s), not three: the test is about answers, and a loaded machine pauses for 300 ms.
        var options = new TunnelConnectionOptions { PingInterval = TimeSpan.FromMilliseconds(100), PingMissLimit = 10 };
        await using var pair = await TunnelPair.StartAsync(new EchoAcceptor(), options, options);

        Assert.True(await TestTimeouts.EventuallyAsync(() => pair.Edge.LastPingRtt is not null && pair.Gateway.LastPingRtt is not null));
        await Task.Delay(1500); // Longer than the ten intervals: only answered pings keep it up this long.
        Assert.False(pair.Edge.Completion.IsCompleted);
        Assert.True(pair.Edge.CanOpenStreams);
    }

    [Fact]
    public async Task Rekey_UnderFullLoad_NoByteLost()
    {
        var options = new TunnelConnectionOptions
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            PingMissLimit = 255, // Liveness is not what this tests: 25.5 s (5 s ran out once while another test starved the pool).
            RekeyInterval = TimeSpan.FromMilliseconds(200),
        };
        await using var pair = await TunnelPair.StartAsync(new EchoAcceptor(), options, options);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        var round = 0;

        // Rounds of 4 streams × 2 MiB echoed until at least 3 rekeys happened mid-traffic.
        while (pair.Edge.Epoch < 3 || pair.Gateway.Epoch < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only epoch {pair.Edge.Epoch}/{pair.Gateway.Epoch} after {round} rounds");
            try
            {
                await Task.WhenAll(Enumerable.Range(0, 4).Select(i => EchoOnceAsync(pair.Edge, 2 << 20, (round * 4) + i))).WithTimeout();
            }
            catch (IOException ex)
            {
                // A reset stream: say why the tunnel reset it (the logs name the connection's close reason).
                Assert.Fail($"round {round}: {ex.Message}\nedge:\n{pair.EdgeLog}\ngateway:\n{pair.GatewayLog}");
            }

            round++;
        }

        Assert.False(pair.Edge.Completion.IsCompleted);
        Assert.True(pair.Edge.Epoch >= 3);
        Assert.True(pair.GatewayLog.Has(657, "rekeyed to epoch 3"));
    }

    [Fact]
    public async Task ThousandStreams_OverFourConnections_AllByteExact()
    {
        var pairs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TunnelPair.StartAsync(new EchoAcceptor())));
        try
        {
            var sessions = Enumerable.Range(0, 1000).Select(i => EchoOnceAsync(pairs[i % 4].Edge, 4096 + (i * 37 % 8192), i));
            await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(await TestTimeouts.EventuallyAsync(() => pairs.All(p => p.Edge.OpenStreams == 0 && p.Gateway.OpenStreams == 0)));
            Assert.Equal(1000, pairs.Sum(p => p.Edge.StreamsOpened));
        }
        finally
        {
            foreach (var pair in pairs)
            {
                await pair.DisposeAsync();
            }
        }
    }

    internal static async Task EchoOnceAsync(TunnelConnection edge, int bytes, int seed)
    {
        var open = await edge.OpenStreamAsync(StreamIo.Target, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(open.IsOpen, $"stream {seed}: {open.Error}");
        var data = StreamIo.RandomBytes(bytes, seed);
        var back = StreamIo.ReadToEndAsync(open.Stream!.Input);
        await StreamIo.WriteAllAsync(open.Stream.Output, data, chunk: 16384);
        Assert.Equal(data, await back);
        await open.Stream.Input.CompleteAsync();
    }
}
