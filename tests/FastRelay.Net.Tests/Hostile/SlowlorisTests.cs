using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Net.Tests.Tls;
using FastRelay.TestKit;
using Xunit.Abstractions;

namespace FastRelay.Net.Tests.Hostile;

/// <summary>
/// Slowloris over loopback: a thousand or more clients that connect and stay silent, or trickle a byte at a
/// time, from 127.0.0.2-127.0.0.101, must not keep a legitimate client from being served promptly, with and
/// without TLS; with TLS the tricklers are closed by <c>--tls-handshake-timeout</c> and hold nothing after it.
/// Bounded: every attacker is gone within seconds, and the asserted bound (5 s per exchange) separates
/// "served" from "blocked behind the flood", not fast from slow; the measured times go to the test output.
/// </summary>
public sealed class SlowlorisTests(PkiFixture fixture, ITestOutputHelper output) : IClassFixture<PkiFixture>
{
    private static readonly TimeSpan Served = TimeSpan.FromSeconds(5);
    private readonly TestCertificates _pki = fixture.Pki;

    [Fact]
    public async Task PlainEdge_1000SilentAnd200TricklingClients_LegitimateClientServedPromptly()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString());
        var silent = await OpenAsync(edge.EndPoint, 1000);
        var tricklers = await OpenAsync(edge.EndPoint, 200);
        using var stop = new CancellationTokenSource();
        var trickle = TrickleAsync(tricklers, TimeSpan.FromMilliseconds(500), stop.Token);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1200));

        using var desk = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            await desk.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal((byte)i, (await desk.ReceiveExactlyAsync(1).WaitAsync(Served))[0]);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, watch.Elapsed.Ticks));
        }

        output.WriteLine($"plain: 20 echo round trips beside 1200 slowloris connections; slowest {slowest.TotalMilliseconds:0.0} ms");
        await stop.CancelAsync();
        await trickle;
        silent.Concat(tricklers).ToList().ForEach(s => s.Dispose());
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1));
    }

    [Fact]
    public async Task TlsEdge_1000SilentAndTricklingHandshakes_LegitimateClientServed_AttackersClosedByHandshakeTimeout()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), flags: ("tls-handshake-timeout", "6s"));
        var silent = await OpenAsync(edge.EndPoint, 800);
        var tricklers = await OpenAsync(edge.EndPoint, 200);
        using var stop = new CancellationTokenSource();

        // A ClientHello's first bytes, one at a time: a handshake that never completes, never idle for long.
        var trickle = TrickleAsync(tricklers, TimeSpan.FromMilliseconds(300), stop.Token, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 1000));

        var watch = Stopwatch.StartNew();
        await using (var desk = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client).WaitAsync(Served))
        {
            var handshake = watch.Elapsed;
            await desk.WriteAsync(new byte[] { 42 });
            var buffer = new byte[1];
            await desk.ReadExactlyAsync(buffer).AsTask().WaitAsync(Served);
            Assert.Equal(42, buffer[0]);
            output.WriteLine($"mTLS: handshake {handshake.TotalMilliseconds:0.0} ms, first echo after {watch.Elapsed.TotalMilliseconds:0.0} ms beside 1000 slowloris handshakes");
        }

        // Every attacker is closed by the handshake timeout (6 s after its accept: long enough that all 1000 are open at
        // once above even when a loaded machine accepts them slowly), silent or trickling alike.
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.TlsHandshakeFailed] == 1000, TimeSpan.FromSeconds(30)),
            $"closed for TlsHandshakeFailed: {edge.Server.Closed[CloseReason.TlsHandshakeFailed]}");
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        Assert.True(await silent[0].IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        await stop.CancelAsync();
        await trickle;
        silent.Concat(tricklers).ToList().ForEach(s => s.Dispose());
    }

    private static async Task<List<Socket>> OpenAsync(IPEndPoint edge, int count)
    {
        var sockets = new List<Socket>();
        for (var batch = 0; batch < count; batch += 100)
        {
            var connects = Enumerable.Range(batch, Math.Min(100, count - batch))
                .Select(i => SocketTestExtensions.ConnectAsync(edge, new IPAddress([127, 0, 0, (byte)(2 + (i % 100))])));
            sockets.AddRange(await Task.WhenAll(connects));
        }

        return sockets;
    }

    // Sends one byte per client per period until stopped; a socket the edge has closed is skipped.
    private static async Task TrickleAsync(List<Socket> sockets, TimeSpan period, CancellationToken stop, byte[]? bytes = null)
    {
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            var value = bytes is null ? (byte)round : bytes[Math.Min(round, bytes.Length - 1)];
            foreach (var socket in sockets)
            {
                try
                {
                    _ = socket.Send([value], 0, 1, SocketFlags.None, out _); // One byte never fills a send buffer; a reset only means this trickler is done.
                }
                catch (ObjectDisposedException)
                {
                    return; // The test is tearing down.
                }
            }

            try
            {
                await Task.Delay(period, stop);
            }
            catch (OperationCanceledException)
            {
                return; // Stopped by the test.
            }
        }
    }
}
