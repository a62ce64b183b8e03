using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRelay.TestKit;
using FastRelay.Tls;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// <see cref="FastRelay.Tls.Native.SslRecordReader"/>: after SslStream's handshake, OpenSSL reads the client's records from the socket
/// itself. Real sockets on loopback and real handshakes; each test fails if the connection fell back to SslStream's
/// reads (<see cref="TlsPipeConnection.RecordReaderNote"/>) or if a byte is lost at the switch.
/// </summary>
public sealed class SslRecordReaderTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki = fixture.Pki;

    [Fact]
    public async Task RecordsThatCameInOneSegmentWithTheClientsFinished_AreAllRead()
    {
        // The client's Finished and its first application records in one TCP segment: unbounded, SslStream's handshake
        // read would take them all into its private buffer, where the record reader never sees them.
        await using var pair = await ServerPair.StartAsync(_pki, coalesceClientFinished: true);
        Assert.Null(pair.Server.RecordReaderNote);
        var received = await pair.ReadInputAsync(pair.FirstWrite.Length);
        Assert.Equal(pair.FirstWrite, received);
    }

    [Theory]
    [InlineData(true, SslProtocols.Tls13)]
    [InlineData(true, SslProtocols.Tls12)]
    [InlineData(false, SslProtocols.Tls13)] // SslStream's reads: the path where the reader cannot be used.
    public async Task ManyRecordsOfEverySize_ArriveByteExact_AndCloseNotifyEndsInputCleanly(bool readsRecordsDirectly, SslProtocols protocol)
    {
        await using var pair = await ServerPair.StartAsync(_pki, readsRecordsDirectly: readsRecordsDirectly, protocol: protocol);
        Assert.Equal(protocol, pair.Client.SslProtocol);
        Assert.Equal(readsRecordsDirectly ? null : "switched off", pair.Server.RecordReaderNote);
        var payload = SocketTestExtensions.RandomBytes(3 << 20, seed: 5);
        var sizes = new[] { 1, 100, 16_383, 16_384, 16_385, 70_000, 5 };
        var sending = Task.Run(async () =>
        {
            for (int offset = 0, i = 0; offset < payload.Length; i++)
            {
                var size = Math.Min(sizes[i % sizes.Length], payload.Length - offset);
                await pair.Client.WriteAsync(payload.AsMemory(offset, size));
                offset += size;
            }

            await pair.Client.ShutdownAsync(); // close_notify.
        });

        Assert.Equal(payload, await pair.ReadInputToEndAsync());
        await sending.WithTimeout();
    }

    [Fact]
    public async Task AFinWithoutCloseNotify_EndsInputCleanly_AsSslStreamReadsIt()
    {
        await using var pair = await ServerPair.StartAsync(_pki);
        Assert.Null(pair.Server.RecordReaderNote);
        await pair.Client.WriteAsync("last words"u8.ToArray());
        pair.ClientSocket.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words"u8.ToArray(), await pair.ReadInputToEndAsync());
    }

    [Fact]
    public async Task AFinInTheMiddleOfARecord_FailsInput_AsSslStreamFailedIt()
    {
        await using var pair = await ServerPair.StartAsync(_pki);
        Assert.Null(pair.Server.RecordReaderNote);
        await pair.Client.WriteAsync("whole"u8.ToArray());
        Assert.Equal("whole"u8.ToArray(), await pair.ReadInputAsync(5));
        await pair.ClientSocket.SendAsync((byte[])[23, 3, 3, 0, 100, .. new byte[40]], SocketFlags.None); // 40 of its 100 bytes.
        pair.ClientSocket.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAnyAsync<IOException>(() => pair.ReadInputToEndAsync());
        Assert.Contains("ended in the middle of a TLS record", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATamperedRecord_FailsInputWithOpenSslsReason_AfterTheBytesBeforeIt()
    {
        await using var pair = await ServerPair.StartAsync(_pki);
        Assert.Null(pair.Server.RecordReaderNote);
        await pair.Client.WriteAsync("good"u8.ToArray());
        Assert.Equal("good"u8.ToArray(), await pair.ReadInputAsync(4));

        // An application-data record of 64 random bytes: its AEAD tag cannot verify.
        var forged = new byte[5 + 64];
        forged[0] = 23;
        forged[1] = 3;
        forged[2] = 3;
        forged[4] = 64;
        Random.Shared.NextBytes(forged.AsSpan(5));
        await pair.ClientSocket.SendAsync(forged, SocketFlags.None);

        var error = await Assert.ThrowsAnyAsync<IOException>(() => pair.ReadInputToEndAsync());
        Assert.Contains("TLS record was refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad record mac", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CloseNotifyFromTheServer_WhileTheClientUploads_EveryUploadedByteIsRead()
    {
        // SslStream's own shutdown calls SSL_shutdown twice; the second would read the socket here and drop what the
        // client uploads after it. The close_notify goes out once 1 of 8 MiB has been read: the rest is still coming.
        await using var pair = await ServerPair.StartAsync(_pki);
        Assert.Null(pair.Server.RecordReaderNote);
        var upload = SocketTestExtensions.RandomBytes(8 << 20, seed: 8);
        var uploading = Task.Run(async () =>
        {
            for (var offset = 0; offset < upload.Length; offset += 16_384)
            {
                await pair.Client.WriteAsync(upload.AsMemory(offset, 16_384));
            }
        });
        var received = new MemoryStream();
        var closed = false;
        while (true)
        {
            var read = await pair.Server.Input.ReadAsync().AsTask().WithTimeout();
            foreach (var segment in read.Buffer)
            {
                received.Write(segment.Span);
            }

            pair.Server.Input.AdvanceTo(read.Buffer.End);
            if (!closed && received.Length >= 1 << 20)
            {
                // Reading stops here, so the upload fills the socket: the close_notify is made with bytes still queued.
                closed = true;
                Assert.True(await TestTimeouts.EventuallyAsync(() => pair.ServerSocket.Available > 0), "nothing queued in the server's socket");
                await pair.Server.Output.CompleteAsync(); // close_notify, then the FIN.
                Assert.Equal(0, await pair.Client.ReadAsync(new byte[1]).AsTask().WithTimeout()); // A clean EOF.
                _ = Task.Run(async () =>
                {
                    await uploading;
                    await pair.Client.ShutdownAsync();
                });
            }

            if (read.IsCompleted)
            {
                break;
            }
        }

        await uploading.WithTimeout();
        Assert.Equal(upload, received.ToArray());
    }

    [Fact]
    public async Task ATls12Renegotiation_FailsInputAtOnce_WithTheReason()
    {
        // s_client's "R" command: a new ClientHello on the established connection. OpenSSL answers no_renegotiation into
        // .NET's write BIO, where it would wait for the next record the edge sends; the connection fails instead.
        using var listener = ServerSide.Listen();
        var client = StartOpenSslClient(listener, "-tls1_2");
        await using (client)
        {
            await using var server = await ServerSide.AcceptAsync(listener, _pki);
            Assert.Null(server.Connection.RecordReaderNote);
            await client.SendLineAsync("ping-tls12");
            Assert.Equal("ping-tls12\n"u8.ToArray(), await server.ReadInputAsync(11));
            await client.SendLineAsync("R");
            var error = await Assert.ThrowsAnyAsync<IOException>(() => server.ReadInputToEndAsync());
            Assert.Contains("renegotiate", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AKeyUpdateFromOpenSslsClient_IsAnswered_AndDataFlowsBothWaysAfterIt()
    {
        // TLS 1.3 KeyUpdate with update_requested (s_client's "K" command): OpenSSL processes it inside SSL_read, and
        // the server's next record (SslStream's write) carries its own KeyUpdate first.
        using var listener = ServerSide.Listen();
        var client = StartOpenSslClient(listener, "-tls1_3");
        await using var server = await ServerSide.AcceptAsync(listener, _pki); // Disposed after the client: its close is clean.
        await using (client)
        {
            Assert.Null(server.Connection.RecordReaderNote);
            var echoing = server.EchoAsync();
            await client.SendLineAsync("ping-before-k1");
            Assert.True(await client.WaitForOutputAsync("ping-before-k1"), client.Output);
            await client.SendLineAsync("K");
            Assert.True(await client.WaitForOutputAsync("KEYUPDATE"), client.Output);
            await client.SendLineAsync("ping-after-k1");
            Assert.True(await client.WaitForOutputAsync("ping-after-k1"), client.Output);
            await client.SendLineAsync("K");
            Assert.True(await client.WaitForOutputAsync("KEYUPDATE", occurrences: 2), client.Output); // Else s_client may join the next line to it.
            await client.SendLineAsync("ping-after-k2");
            Assert.True(await client.WaitForOutputAsync("ping-after-k2"), client.Output);
            Assert.False(echoing.IsCompleted, echoing.Exception?.ToString());
        }

        Assert.Equal(0, client.ExitCode);
    }

    // s_client with the test client's certificate, its commands on (no -quiet), ended by EOF on stdin.
    private OpenSslClient StartOpenSslClient(Socket listener, string version) => new(
        "-connect", listener.LocalEndPoint!.ToString()!, version, "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile,
        "-CAfile", _pki.CaFile, "-servername", "edge.test", "-no_ign_eof");

}
