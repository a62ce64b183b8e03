using System.Net;
using System.Net.Sockets;
using System.Text;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// The TLS data path keeps the plain path's guarantees: half-close both ways (close_notify and FIN map to a
/// FIN upstream and back), every byte of a bulk transfer, resets propagated, and a silent client cannot hold
/// a slot past the handshake timeout.
/// </summary>
public sealed class TlsDataPathTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki = fixture.Pki;

    [Fact]
    public async Task ClientCloseNotify_UpstreamStillAnswers_ClientGetsAnswerThenEof()
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.StartTls(_pki, backend.Target);
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        using var upstream = await backend.AcceptAsync();

        await tls.WriteAsync(Encoding.ASCII.GetBytes("request"));
        await tls.HalfCloseAsync();
        Assert.Equal("request", Encoding.ASCII.GetString(await upstream.ReceiveToEndAsync()));
        await upstream.SendAsync(Encoding.ASCII.GetBytes("answer after your close_notify"), SocketFlags.None);
        upstream.Shutdown(SocketShutdown.Send);

        Assert.Equal("answer after your close_notify", Encoding.ASCII.GetString(await tls.ReadToEndAsync()));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Fact]
    public async Task UpstreamFin_ClientKeepsSending_UpstreamGetsEveryByte()
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.StartTls(_pki, backend.Target);
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        using var upstream = await backend.AcceptAsync();

        await upstream.SendAsync(Encoding.ASCII.GetBytes("banner"), SocketFlags.None);
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal("banner", Encoding.ASCII.GetString(await tls.ReadToEndAsync())); // close_notify arrived.

        var payload = SocketTestExtensions.RandomBytes(1 << 20, seed: 3);
        await tls.WriteAsync(payload);
        await tls.HalfCloseAsync();
        Assert.Equal(payload, await upstream.ReceiveToEndAsync());
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Fact]
    public async Task UpstreamEndsWhileTheClientUploads_CleanCloseEveryRound_EveryUploadedByteArrives()
    {
        // The edge sends close_notify while its receive side may be decrypting the client's records on another
        // thread. SslStream does not serialize ShutdownAsync with a read (SSL_shutdown and SSL_read on one SSL
        // object): unserialized, rounds ended in SSL_ERROR_SYSCALL, a reset and a lost upload (TlsShutdown).
        using var backend = new ManualBackend();
        await using var edge = TestEdge.StartTls(_pki, backend.Target);
        const int Rounds = 40;
        for (var round = 0; round < Rounds; round++)
        {
            await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
            using var upstream = await backend.AcceptAsync();
            var payload = SocketTestExtensions.RandomBytes(4 << 20, seed: round);
            var received = upstream.ReceiveToEndAsync();
            var uploading = Task.Run(async () =>
            {
                for (var offset = 0; offset < payload.Length; offset += 16_384)
                {
                    await tls.WriteAsync(payload.AsMemory(offset, Math.Min(16_384, payload.Length - offset)));
                }
            });
            await Task.Delay(round % 4); // The FIN lands at different points of the upload.
            await upstream.SendAsync(Encoding.ASCII.GetBytes("bye"), SocketFlags.None);
            upstream.Shutdown(SocketShutdown.Send);

            Assert.Equal("bye", Encoding.ASCII.GetString(await tls.ReadToEndAsync())); // close_notify, then EOF.
            await uploading.WithTimeout();
            await tls.HalfCloseAsync();
            Assert.Equal(payload, await received.WithTimeout());
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == Rounds), edge.Server.Closed.ToString());
    }

    [Fact]
    public async Task Bulk_BothWays_ByteExact()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString());
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        var payload = SocketTestExtensions.RandomBytes(16 << 20, seed: 11);
        var reading = tls.ReadToEndAsync();
        for (var offset = 0; offset < payload.Length; offset += 100_000)
        {
            await tls.WriteAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)));
        }

        await tls.HalfCloseAsync();
        Assert.Equal(payload, await reading);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientReset_UpstreamIsClosed_ReasonIsClientReset(bool resetQueuedBeforeTheRead)
    {
        // Both ways a reset reaches the edge's read (under SslStream, through Transport/SocketStream): while the read
        // waits, or already queued when the read starts (the relay is busy sending to the upstream meanwhile).
        using var backend = new ManualBackend();
        await using var edge = TestEdge.StartTls(_pki, backend.Target);
        var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        using var upstream = await backend.AcceptAsync();
        await tls.WriteAsync(new byte[resetQueuedBeforeTheRead ? 4 << 20 : 100]);
        if (!resetQueuedBeforeTheRead)
        {
            _ = await upstream.ReceiveExactlyAsync(100); // The edge's next read now waits.
        }

        tls.Reset();

        Assert.True(await DrainUntilClosedAsync(upstream), "the upstream was not closed after the client's reset");
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.ClientReset] == 1), $"closed: {edge.Server.Closed}");
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        await tls.DisposeAsync();
    }

    [Fact]
    public async Task UpstreamReset_ResetsTheTlsClient()
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.StartTls(_pki, backend.Target);
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        using var upstream = await backend.AcceptAsync();
        await tls.WriteAsync("x"u8.ToArray());
        _ = await upstream.ReceiveExactlyAsync(1);
        upstream.LingerState = new LingerOption(true, 0);
        upstream.Close();

        await Assert.ThrowsAnyAsync<IOException>(() => tls.ReadToEndAsync());
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamReset] == 1));
    }

    [Fact]
    public async Task SilentClient_IsClosedAtTheHandshakeTimeout()
    {
        var observer = new RecordingObserver();
        using var backend = new ManualBackend();
        await using (var edge = TestEdge.StartTls(_pki, backend.Target, observer: observer, flags: ("tls-handshake-timeout", "300ms")))
        {
            using var silent = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
            Assert.True(await silent.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.TlsHandshakeFailed] == 1));

            // The close is counted before the connection leaves the table: wait for both.
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake);
        Assert.Contains("no complete handshake within 300ms", refused.Detail, StringComparison.Ordinal);
        Assert.True(refused.Elapsed >= TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task ARevocationCheckerThatThrows_FailsTheConnectionWithTheReason_NotAsAnUnexpectedError()
    {
        var observer = new RecordingObserver();
        using var backend = new ManualBackend();
        await using (var edge = TestEdge.StartTls(_pki, backend.Target, observer: observer, revocation: new ThrowingChecker()))
        {
            await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
            Assert.Equal(0, await tls.ReadAsync(new byte[1]).AsTask().WithTimeout()); // TLS 1.3: refused after the handshake.
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.TlsHandshakeFailed] == 1));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake);
        Assert.Contains("revocation check failed: InvalidOperationException: a checker bug", refused.Detail, StringComparison.Ordinal);
    }

    private sealed class ThrowingChecker : FastRelay.Tls.IRevocationChecker
    {
        public ValueTask<FastRelay.Tls.RevocationVerdict> CheckAsync(IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> chain, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a checker bug");
    }

    [Fact]
    public async Task PlainTls_WithoutClientCa_NeedsNoCertificate()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), clientCa: false);
        await MutualTlsTests.AssertEchoesAsync(edge, _pki, null!);
    }

    // Reads whatever the edge still forwards until it closes or resets the upstream; false if it never does.
    private static async Task<bool> DrainUntilClosedAsync(Socket upstream)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await upstream.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TestTimeouts.Default) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}

/// <summary>
/// The TLS data path reuses pooled blocks and allocates (almost) nothing per read once warm: SslStream's
/// async reads and writes use pooled builders, our loops reuse the pipes.
/// </summary>
[Collection(nameof(TlsAllocationTests))] // Alone: the count is process-wide, so no other test may run meanwhile.
public sealed class TlsAllocationTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    [Fact]
    public async Task Bulk128MiB_ReusesBlocks_AndAllocatesLittlePerMiB()
    {
        var pki = fixture.Pki;
        await using var sink = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Sink);
        await using var edge = TestEdge.StartTls(pki, sink.EndPoint.ToString());
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, pki, pki.Client);
        var chunk = new byte[1 << 20];
        for (var i = 0; i < 16; i++)
        {
            await tls.WriteAsync(chunk); // Warm-up: JIT, pools.
        }

        // Allocations of the whole process (client, edge and sink share it) over 112 MiB: the edge's part per
        // 64 KiB read must be ~0, so the total stays far below one allocation per read of any size.
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < 112; i++)
        {
            await tls.WriteAsync(chunk);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await tls.HalfCloseAsync();
        var count = new byte[8];
        await tls.ReadExactlyAsync(count).AsTask().WithTimeout();
        Assert.Equal(128L << 20, BitConverter.ToInt64(count));
        Assert.True(edge.Server.Memory.BlocksCreated is >= 1 and <= 32, $"{edge.Server.Memory.BlocksCreated} blocks created");
        Assert.True(allocated < 1 << 20, $"{allocated:N0} bytes allocated in the process for 112 MiB through TLS");
    }
}

/// <summary>
/// Runs <see cref="TlsAllocationTests"/> alone, after the parallel tests: a collection name by itself only keeps its
/// own tests apart, and another test's allocations (SocketStreamTests' loops ran beside it) broke the bound.
/// </summary>
[CollectionDefinition(nameof(TlsAllocationTests), DisableParallelization = true)]
public sealed class TlsAllocationCollection;
