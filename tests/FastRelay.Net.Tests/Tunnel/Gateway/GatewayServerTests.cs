using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Net.Tests.Tunnel.Gateway;

/// <summary>
/// The gateway: each stream's target against its Outbound rules (SSRF guard), target errors as RST codes, and the
/// bounds on handshakes (in flight, per-source rate) and on who may connect (pinned keys).
/// </summary>
public sealed class GatewayServerTests
{
    /// <summary>Outbound to 127.0.0.1 on PORT only (replace PORT: one port or a list).</summary>
    internal const string AllowEchoOnly = """
        {"SecurityGroups": [{"Name": "Exit", "Rules": [{"Protocol": "TCP", "PortRange": "PORT", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}
        """;

    [Fact]
    public async Task Stop_AStreamStillOpenAtTheDrainDeadline_IsClosedAsShutdown()
    {
        // Reset by the gateway's own drain, not by the edge: recorded as Shutdown (the edge's name), never ClientReset.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(observer: observer);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var open = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        using var lease = open.Stream!;
        await lease.Output.WriteAsync(new byte[] { 1 });
        Assert.Equal(1, (await lease.Input.ReadAsync().AsTask().WithTimeout()).Buffer.Length); // Relayed, and held open.

        await gateway.StopAsync(TimeSpan.FromMilliseconds(200)).WithTimeout();

        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Checkpoint == Checkpoint.Close)));
        Assert.Equal(CloseReason.Shutdown, Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Close).Reason);
    }

    [Fact]
    public async Task RecheckEstablished_AStreamTheNewRulesDeny_IsClosedAsFilterDenied_AnAllowedOneRelaysOn()
    {
        // --recheck-established: after a reload the open streams' targets meet the new Outbound rules.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var other = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var both = $"{echo.EndPoint.Port},{other.EndPoint.Port}";
        var gateway = tunnel.StartGateway(policyJson: AllowEchoOnly.Replace("PORT", both, StringComparison.Ordinal), observer: observer, recheckEstablished: true);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        using var kept = await OpenEchoingAsync(pool, echo.EndPoint.Port);
        using var cut = await OpenEchoingAsync(pool, other.EndPoint.Port);
        Assert.Equal(0, gateway.RecheckEstablished()); // The same rules: nothing to cut.

        gateway.Policy.Replace(FastRelay.Filtering.PolicyLoader.Load(AllowEchoOnly.Replace("PORT", echo.EndPoint.Port.ToString(), StringComparison.Ordinal)));
        Assert.Equal(1, gateway.RecheckEstablished());

        await Assert.ThrowsAsync<FastRelay.Tunnel.Session.TunnelStreamResetException>(async () => await FastRelay.Tunnel.Session.StreamIo.ReadToEndAsync(cut.Input).WithTimeout());
        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Checkpoint == Checkpoint.Close)));
        var close = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Close); // One terminal event: the close row says why.
        Assert.Equal(CloseReason.FilterDenied, close.Reason);
        Assert.EndsWith(": re-checked after a policy reload", close.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(observer.Events, e => !e.Allowed);
        await kept.Output.WriteAsync(new byte[] { 2 });
        Assert.Equal(1, (await kept.Input.ReadAsync().AsTask().WithTimeout()).Buffer.Length); // Allowed: still relaying.
    }

    [Fact]
    public async Task TargetResets_EdgeGetsTargetReset_NotCancel()
    {
        // §4.5: a peer TCP reset is RST(TARGET_RESET). The relay aborted the stream (CANCEL) before it passed the error on.
        using var target = new Socket(SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(1);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var open = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, ((IPEndPoint)target.LocalEndPoint!).Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        using var lease = open.Stream!;
        using (var accepted = await target.AcceptAsync().WithTimeout())
        {
            accepted.LingerState = new LingerOption(true, 0); // Close sends RST.
        }

        var error = await Assert.ThrowsAsync<FastRelay.Tunnel.Session.TunnelStreamResetException>(async () => await FastRelay.Tunnel.Session.StreamIo.ReadToEndAsync(lease.Input).WithTimeout());
        Assert.Equal(TunnelErrorCode.TargetReset, error.Code);
    }

    [Fact]
    public async Task EdgeResetsAStream_WhoseTargetStoppedReading_TheGatewayClosesTheTarget_AndGivesTheSlotBack()
    {
        // The relay is parked in its flush to a target that reads nothing (and in its read of a target that sends
        // nothing): the edge's RST never reaches a pump. It must still end the stream, or the target socket and the
        // --max-streams slot are held for good (the gateway has no idle timeout of its own).
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var target = SocketTestExtensions.ListenForAPeerThatDoesNotRead();
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(observer: observer, configure: o => o with { MaxStreams = 1 });
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var open = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, ((IPEndPoint)target.LocalEndPoint!).Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        var held = open.Stream!;
        using var accepted = await target.AcceptAsync().WithTimeout(); // Never read until the end.

        // Upload until the stream stops taking bytes: the target's buffers, the gateway's pipes and the stream's credit are full.
        long sent = 0;
        var chunk = new byte[64 * 1024];
        var uploading = Task.Run(async () =>
        {
            while (sent < (512L << 20))
            {
                var flushed = await held.Output.WriteAsync(chunk);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return; // Aborted below.
                }

                Interlocked.Add(ref sent, chunk.Length);
            }
        });
        long before;
        var stalled = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            before = Interlocked.Read(ref sent);
            await Task.Delay(300);
        }
        while (Interlocked.Read(ref sent) != before && stalled.Elapsed < TimeSpan.FromSeconds(20));
        Assert.False(uploading.IsCompleted, "the target never stopped taking bytes");
        Assert.Equal(1, gateway.Stats.StreamSlots);

        held.Abort(); // RST(CANCEL) from the edge.
        held.Dispose();
        await Task.WhenAny(uploading).WithTimeout(); // Ends (or throws) once the stream is gone.

        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.StreamSlots == 0), "the stream's slot was never given back");
        Assert.True(await TestTimeouts.EventuallyAsync(() => observer.Events.Any(e => e.Checkpoint == Checkpoint.Close)), "no close record");
        var close = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Close);
        Assert.Equal(CloseReason.ClientReset, close.Reason);
        Assert.True(close.BytesClientToUpstream > 0);

        // The target's socket was closed (reset: bytes were still queued), not left open.
        Assert.True(await TargetEndedAsync(accepted).WithTimeout(), "the target's connection is still open");
        Assert.Equal([7], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [7]).WithTimeout()); // The one slot serves again.
    }

    [Fact]
    public async Task StreamsResetOneAfterAnother_NeverSpoilTheNextStream_OnTheReusedRelay()
    {
        // Each reset stream's relay is aborted from the tunnel's read loop while it runs, and goes back to the pool; the
        // next stream gets it. An abort still finishing when the pooled socket transport was reset left a cancellation
        // in its pipes, and the next stream was reset (CANCEL) at once: about one round in 40 here.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var target = SocketTestExtensions.ListenForAPeerThatDoesNotRead();
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(observer: observer, configure: o => o with { MaxStreams = 1 });
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        for (var round = 0; round < 60; round++)
        {
            var open = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, ((IPEndPoint)target.LocalEndPoint!).Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
            var held = open.Stream!;
            using var accepted = await target.AcceptAsync().WithTimeout();
            var chunk = new byte[64 * 1024];
            var uploading = Task.Run(async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var flushed = await held.Output.WriteAsync(chunk);
                    if (flushed.IsCanceled || flushed.IsCompleted)
                    {
                        return;
                    }
                }
            });
            await Task.Delay(round % 5 * 20);
            held.Abort();
            held.Dispose();
            await Task.WhenAny(uploading).WithTimeout();
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.StreamSlots == 0), "the stream's slot was never given back");
            Assert.Equal([7], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [7]).WithTimeout());
        }
    }

    /// <summary>Reads <paramref name="socket"/> to its end: true at EOF or a reset.</summary>
    private static async Task<bool> TargetEndedAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }

        return true;
    }

    private static async Task<FastRelay.Tunnel.Pool.TunnelLease> OpenEchoingAsync(FastRelay.Tunnel.Pool.TunnelPool pool, int port)
    {
        var open = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        var lease = open.Stream!;
        await lease.Output.WriteAsync(new byte[] { 1 });
        var read = await lease.Input.ReadAsync().AsTask().WithTimeout();
        Assert.Equal(1, read.Buffer.Length);
        lease.Input.AdvanceTo(read.Buffer.End);
        return lease;
    }

    [Fact]
    public async Task OpenStream_TargetOutsideOutboundRules_IsRefusedWithForbiddenTarget()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var other = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(policyJson: AllowEchoOnly.Replace("PORT", echo.EndPoint.Port.ToString(), StringComparison.Ordinal), observer: observer);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);

        var client = new IPEndPoint(IPAddress.Parse("127.0.0.9"), 40000);
        var denied = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, other.EndPoint.Port, client), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Null(denied.Stream);
        Assert.Equal(TunnelErrorCode.ForbiddenTarget, denied.Error);
        Assert.Equal(0, other.AcceptedConnections); // Never dialled.
        var record = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound);
        Assert.False(record.Allowed);
        Assert.Equal(CloseReason.FilterDenied, record.Reason);
        Assert.Equal(client, record.Client); // The Outbound check's source is the original client the edge named.
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, other.EndPoint.Port), record.Destination);

        // The allowed target still works over the same connection.
        Assert.Equal([9], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [9]).WithTimeout());
        Assert.Equal(1, gateway.Stats.StreamsRejected);
    }

    [Fact]
    public async Task DeniedTargets_AreLoggedAtInformationAtMostOnceASecond_TheRestAtDebug()
    {
        // An edge's client sending OPENs for forbidden targets as fast as it can must not write the gateway's log as fast.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var log = new FastRelay.Tunnel.Session.ListLogger();
        using var loggers = new FastRelay.Tunnel.Session.ListLoggerFactory(log);
        var gateway = tunnel.StartGateway(policyJson: AllowEchoOnly.Replace("PORT", echo.EndPoint.Port.ToString(), StringComparison.Ordinal), loggers: loggers);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var denied = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, 9), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
            Assert.Equal(TunnelErrorCode.ForbiddenTarget, denied.Error);
        }

        var seconds = (int)Math.Ceiling(started.Elapsed.TotalSeconds);
        var loud = log.Entries.Count(e => e.Id.Id == 690);
        Assert.Equal(LogLevel.Information, log.Entries.First(e => e.Id.Id == 690).Level);
        Assert.InRange(loud, 1, seconds + 1);
        Assert.Equal(20, loud + log.Entries.Count(e => e.Id.Id == 679 && e.Level == LogLevel.Debug)); // Every one is still logged.
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("::ffff:0.0.0.0")]
    public async Task OpenStream_TheUnspecifiedAddress_IsJudgedAsLoopback_WhichItReaches(string unspecified)
    {
        // Linux connects 0.0.0.0 (and ::) to this host: an allow-everything-but-loopback policy must not let it through.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(policyJson: """
            {"SecurityGroups": [{"Name": "Exit", "Direction": "Outbound", "Rules": [
              {"DestinationIP": "127.0.0.0/8,::1/128", "Priority": 1, "Action": "Deny"},
              {"DestinationIP": "0.0.0.0/0,::/0", "Priority": 50, "Action": "Allow"}]}]}
            """, observer: observer);
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);

        var denied = await pool.OpenStreamAsync(TunnelTarget.ForHost(unspecified, echo.EndPoint.Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Equal(TunnelErrorCode.ForbiddenTarget, denied.Error);
        Assert.Equal(0, echo.AcceptedConnections);
        var record = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound);
        Assert.Contains("Exit rule 0", record.Rule!.Label, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStream_NameResolvingToADeniedAddress_IsRefused()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(policyJson: AllowEchoOnly.Replace("PORT", "1", StringComparison.Ordinal));
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);

        // "localhost" resolves to loopback addresses on port 2, which no rule allows: checked on every address, none dialled.
        var denied = await pool.OpenStreamAsync(TunnelTarget.ForHost("localhost", 2), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Equal(TunnelErrorCode.ForbiddenTarget, denied.Error);
    }

    [Fact]
    public async Task OpenStream_NothingListens_IsRefusedWithConnectRefused()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        using var unused = new Socket(SocketType.Stream, ProtocolType.Tcp);
        unused.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)unused.LocalEndPoint!).Port;

        var refused = await pool.OpenStreamAsync(TunnelTarget.ForAddress(IPAddress.Loopback, port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Equal(TunnelErrorCode.ConnectRefused, refused.Error);
    }

    [Fact]
    public async Task Handshake_UnknownEdgeKey_IsRefusedAndRecorded()
    {
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(observer: observer);
        await using var stranger = new TunnelFixture(); // Its own keys: the gateway pins only tunnel's edge key.
        await using var pool = StartPoolWithKeysOf(stranger, tunnel, gateway.EndPoint);

        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.HandshakesFailed >= 1));
        Assert.Equal(0, gateway.Stats.Handshakes);
        var record = observer.Events.First(e => e.Checkpoint == Checkpoint.Handshake);
        Assert.False(record.Allowed);
        Assert.Equal(CloseReason.TunnelAuthFailed, record.Reason);
        Assert.Contains("static key not in the allowlist", record.Detail, StringComparison.Ordinal);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].LastFailure is not null));
        Assert.Equal(0, pool.Reachable);

        // Refused after msg3 counts as a failed dial: the pool backs off instead of redialling in a loop.
        await Task.Delay(1000);
        Assert.InRange(gateway.Stats.HandshakesFailed, 1, 6);
    }

    [Fact]
    public async Task OpenStream_OverMaxStreams_IsRefusedStream_NeverDialled_SlotComesBack()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var observer = new RecordingObserver();
        var gateway = tunnel.StartGateway(observer: observer, configure: o => o with { MaxStreams = 1 });
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        var target = TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port);

        var first = await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        var held = first.Stream!;
        var refused = await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();

        Assert.Null(refused.Stream);
        Assert.Equal(TunnelErrorCode.RefusedStream, refused.Error); // Retryable elsewhere: the target was never dialled.
        Assert.Equal(1, echo.AcceptedConnections);
        Assert.Equal(2, gateway.Stats.StreamsLimited); // Refused twice by the one gateway: full, no third OPEN.
        Assert.Equal((2, 0), (gateway.Stats.StreamsOverMaxStreams, gateway.Stats.StreamsOverDescriptors)); // Told apart for the metric.
        var record = observer.Events.First(e => e.Reason == CloseReason.ConnectionLimit);
        Assert.False(record.Allowed);
        Assert.Contains("1 streams open (--max-streams)", record.Detail, StringComparison.Ordinal);

        held.Abort(); // Reset by the edge: its slot comes back when the gateway has closed it.
        held.Dispose();
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.StreamSlots == 0));
        Assert.Equal([7], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [7]).WithTimeout());
    }

    [Fact]
    public async Task AFullGateway_RefusingThousandsOfOpens_NeverGetsTheEdgesConnectionClosed()
    {
        // Every refusal is an RST the edge receives; counted as peer resets, 1,024 a second closed the connection
        // (ENHANCE_YOUR_CALM) with its live streams.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(configure: o => o with { MaxStreams = 1 });
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1, keepalive: 1);
        var target = TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port);
        using var held = (await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout()).Stream!;

        var refusals = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (refusals < 1500 && DateTime.UtcNow < until)
        {
            var refused = await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(2), CancellationToken.None).AsTask().WithTimeout();
            Assert.Equal(TunnelErrorCode.RefusedStream, refused.Error);
            refusals++;
        }

        Assert.True(gateway.Stats.StreamsLimited >= 2000, $"{gateway.Stats.StreamsLimited} refusals in 5 s: too few to trip the guard");
        await held.Output.WriteAsync(new byte[] { 5 });
        Assert.Equal(5, (await held.Input.ReadAsync().AsTask().WithTimeout()).Buffer.FirstSpan[0]); // The live stream still relays.
        Assert.Equal(1, gateway.Stats.Connections);
    }

    [Fact]
    public async Task DescriptorBudget_Reached_RefusesStreamsAndNewTunnels()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(configure: o => o with { DescriptorBudget = 2 });
        var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Connections == 1));
        var target = TunnelTarget.ForAddress(IPAddress.Loopback, echo.EndPoint.Port);

        using var held = (await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout()).Stream!; // 1 tunnel + 1 socket.
        var refused = await pool.OpenStreamAsync(target, TimeSpan.FromSeconds(2), CancellationToken.None).AsTask().WithTimeout();
        Assert.Equal(TunnelErrorCode.RefusedStream, refused.Error);

        using var another = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await another.ConnectAsync(gateway.EndPoint);
        Assert.True(await another.IsClosedByPeerAsync(TimeSpan.FromSeconds(5))); // Closed at accept, before any key exchange.
        Assert.True(gateway.Stats.TunnelsLimited >= 1);
        Assert.Equal(1, echo.AcceptedConnections);
        Assert.Equal(0, gateway.Stats.StreamsOverMaxStreams); // The budget refused it, not --max-streams.
        Assert.True(gateway.Stats.StreamsOverDescriptors >= 1);
    }

    [Fact]
    public async Task Accept_MoreHalfOpenHandshakesThanAllowed_ClosesTheRestAtOnce()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(maxHandshakes: 2);
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(gateway.EndPoint);
                silent.Add(socket); // Connected, never sends its preamble: a half-open handshake.
            }

            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.HandshakesLimited == 1));
            Assert.Equal(2, gateway.Stats.Handshaking);
            Assert.Equal((1, 0), (gateway.Stats.HandshakesOverMax, gateway.Stats.HandshakesOverPerSource));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Accept_MoreHalfOpenHandshakesFromOneAddressThanAllowed_ClosesItsRest_OthersUnaffected()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(maxHandshakes: 8, maxHandshakesPerSource: 2);
        var silent = new List<Socket>();
        async Task<Socket> ConnectFromAsync(string source)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(gateway.EndPoint);
            silent.Add(socket); // Connected, never sends its preamble: a half-open handshake.
            return socket;
        }

        try
        {
            var first = await ConnectFromAsync("127.0.0.2");
            await ConnectFromAsync("127.0.0.2");
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == 2));
            var third = await ConnectFromAsync("127.0.0.2");
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.HandshakesLimited == 1));
            Assert.Equal(0, await third.ReceiveAsync(new byte[1])); // Closed at once, before any key exchange.

            // Another address has its own count; the global bound (8) is far.
            await ConnectFromAsync("127.0.0.3");
            await ConnectFromAsync("127.0.0.3");
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == 4));
            Assert.Equal(1, gateway.Stats.HandshakesLimited);

            // A handshake that ends (here: its client goes away) gives its address's slot back.
            first.Dispose();
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == 3));
            await ConnectFromAsync("127.0.0.2");
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == 4));
            Assert.Equal(1, gateway.Stats.HandshakesLimited);
            Assert.Equal((0, 1), (gateway.Stats.HandshakesOverMax, gateway.Stats.HandshakesOverPerSource));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Accept_PerSourceSlot_IsGivenBackAfterASuccessfulHandshake()
    {
        // One slot per address: the second pool's handshake from the same address succeeds only if the first one's,
        // which succeeded and stays connected, gave its slot back.
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(maxHandshakesPerSource: 1);
        tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshakes == 1), $"handshakes: {gateway.Stats.Handshakes}");
        tunnel.StartPool([gateway.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshakes == 2), $"handshakes: {gateway.Stats.Handshakes}, limited: {gateway.Stats.HandshakesLimited}");
        Assert.Equal(0, gateway.Stats.HandshakesLimited);
        Assert.Equal(0, gateway.Stats.Handshaking);
    }

    [Fact]
    public async Task Accept_OverTheHandshakeRate_ClosesBeforeAnyKeyExchange()
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway(handshakeRate: new FastRelay.RateLimiting.TokenBucketOptions(0.01, 2));
        for (var i = 0; i < 3; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(gateway.EndPoint);
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.HandshakesRateLimited == 1));
    }

    private static FastRelay.Tunnel.Pool.TunnelPool StartPoolWithKeysOf(TunnelFixture keys, TunnelFixture trusted, IPEndPoint gateway)
    {
        // The stranger trusts the real gateway's key, but its own key is not pinned there.
        var options = new FastRelay.Configuration.EdgeTunnelOptions
        {
            Gateways = [new FastRelay.Configuration.GatewayAddress("127.0.0.1", gateway.Port)],
            Identity = new FastRelay.Configuration.TunnelIdentityOptions { KeyFile = "" },
            Prewarm = 1,
        };
        var pool = FastRelay.Tunnel.Pool.EdgeTunnel.Create(options, keys.EdgeKey, FastRelay.Tunnel.Handshake.TunnelAuthentication.Pinned([trusted.GatewayKey.PublicKey.ToArray()]),
            "stranger", TimeSpan.FromSeconds(1), TestLogging.Factory, TimeProvider.System, null);
        pool.Start();
        return pool;
    }
}
