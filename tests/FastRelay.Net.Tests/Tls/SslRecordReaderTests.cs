using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Native;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// <see cref="SslRecordReader"/>: after SslStream's handshake, OpenSSL reads the client's records from the socket
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

    [Fact]
    public async Task ManyRecordsOfEverySize_ArriveByteExact_AndCloseNotifyEndsInputCleanly()
    {
        await using var pair = await ServerPair.StartAsync(_pki);
        Assert.Null(pair.Server.RecordReaderNote);
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
        await pair.Client.WriteAsync("last words"u8.ToArray());
        pair.ClientSocket.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words"u8.ToArray(), await pair.ReadInputToEndAsync());
    }

    [Fact]
    public async Task ATamperedRecord_FailsInputWithOpenSslsReason_AfterTheBytesBeforeIt()
    {
        await using var pair = await ServerPair.StartAsync(_pki);
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
        // SslStream's own shutdown calls SSL_shutdown twice; the second would read the socket here and drop the upload.
        await using var pair = await ServerPair.StartAsync(_pki);
        var upload = SocketTestExtensions.RandomBytes(4 << 20, seed: 8);
        var uploading = Task.Run(async () =>
        {
            for (var offset = 0; offset < upload.Length; offset += 16_384)
            {
                await pair.Client.WriteAsync(upload.AsMemory(offset, 16_384));
            }
        });
        var reading = pair.ReadInputToEndAsync();
        await Task.Delay(5);
        await pair.Server.Output.CompleteAsync(); // close_notify, then the FIN.

        Assert.Equal(0, await pair.Client.ReadAsync(new byte[1]).AsTask().WithTimeout()); // A clean EOF.
        await uploading.WithTimeout();
        await pair.Client.ShutdownAsync();
        Assert.Equal(upload, await reading);
    }

    [Fact]
    public async Task AKeyUpdateFromOpenSslsClient_IsAnswered_AndDataFlowsBothWaysAfterIt()
    {
        // TLS 1.3 KeyUpdate with update_requested (s_client's "K" command): OpenSSL processes it inside SSL_read, and
        // the edge's next record (SslStream's write) carries its own KeyUpdate first.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString());
        var client = new OpenSslClient(
            "-connect", edge.EndPoint.ToString(), "-tls1_3", "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile,
            "-CAfile", _pki.CaFile, "-servername", "edge.test", "-no_ign_eof");
        await using (client)
        {
            await client.SendLineAsync("ping-before-k1");
            Assert.True(await client.WaitForOutputAsync("ping-before-k1"), client.Output);
            await client.SendLineAsync("K");
            Assert.True(await client.WaitForOutputAsync("KEYUPDATE"), client.Output);
            await client.SendLineAsync("ping-after-k1");
            Assert.True(await client.WaitForOutputAsync("ping-after-k1"), client.Output);
            await client.SendLineAsync("K");
            await client.SendLineAsync("ping-after-k2");
            Assert.True(await client.WaitForOutputAsync("ping-after-k2"), client.Output);
        }

        Assert.Equal(0, client.ExitCode);
    }

    /// <summary>A server <see cref="TlsPipeConnection"/> after its handshake, and the client at the other end of the socket.</summary>
    private sealed class ServerPair : IAsyncDisposable
    {
        private readonly BlockMemoryPool _pool;

        private ServerPair(BlockMemoryPool pool, TlsPipeConnection server, SslStream client, Socket clientSocket, byte[] firstWrite)
        {
            _pool = pool;
            Server = server;
            Client = client;
            ClientSocket = clientSocket;
            FirstWrite = firstWrite;
        }

        public TlsPipeConnection Server { get; }

        public SslStream Client { get; }

        public Socket ClientSocket { get; }

        public byte[] FirstWrite { get; }

        public static async Task<ServerPair> StartAsync(TestCertificates pki, bool coalesceClientFinished = false)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await clientSocket.ConnectAsync(listener.LocalEndPoint!);
            var serverSocket = await listener.AcceptAsync();
            serverSocket.NoDelay = true;

            var errors = new List<string>();
            var options = new TlsOptions { CertificateFile = pki.ServerCertFile, KeyFile = pki.ServerKeyFile, ClientCaFile = pki.CaFile, OcspStaple = OcspStapling.Off };
            var material = TlsMaterial.TryLoad(options, TimeProvider.System, keepChains: false, errors) ?? throw new InvalidOperationException(string.Join("; ", errors));
            var pool = new BlockMemoryPool(64 * 1024, 16);
            var server = new TlsPipeConnection(TransportOptions.Create(pool));
            var serverStream = server.Attach(serverSocket);

            var transport = new HoldingStream(new NetworkStream(clientSocket, ownsSocket: false), holdAfterFirstWrite: coalesceClientFinished);
            var client = new SslStream(transport, leaveInnerStreamOpen: false);
            var serverSide = serverStream.AuthenticateAsServerAsync(ServerAuthentication.Create(material, (_, certificate, _, _) => certificate is not null));
            await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "edge.test",
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [pki.Client],
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
            }).WithTimeout();

            var firstWrite = SocketTestExtensions.RandomBytes(40_000, seed: 3);
            if (coalesceClientFinished)
            {
                await client.WriteAsync(firstWrite); // Held with the Finished, then sent in one send.
                await transport.ReleaseAsync();
            }

            await serverSide.WithTimeout();
            server.Start();
            return new ServerPair(pool, server, client, clientSocket, firstWrite);
        }

        public async Task<byte[]> ReadInputAsync(int count)
        {
            var received = new MemoryStream();
            while (received.Length < count)
            {
                var read = await Server.Input.ReadAsync().AsTask().WithTimeout();
                foreach (var segment in read.Buffer)
                {
                    received.Write(segment.Span);
                }

                Server.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            return received.ToArray();
        }

        public async Task<byte[]> ReadInputToEndAsync()
        {
            var received = new MemoryStream();
            while (true)
            {
                var read = await Server.Input.ReadAsync().AsTask().WithTimeout();
                foreach (var segment in read.Buffer)
                {
                    received.Write(segment.Span);
                }

                Server.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return received.ToArray();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            ClientSocket.Dispose();
            Server.Abort();
            Server.Input.Complete(); // The owner's ends: CloseAsync resets the pipes for the next client.
            Server.Output.Complete();
            _ = await Server.CloseAsync(TimeSpan.Zero).WithTimeout();
            _pool.Dispose();
        }
    }

    /// <summary>Passes writes through until the first one; then keeps them until <see cref="ReleaseAsync"/> sends them together.</summary>
    private sealed class HoldingStream(NetworkStream inner, bool holdAfterFirstWrite) : Stream
    {
        private readonly MemoryStream _held = new();
        private int _writes;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public async Task ReleaseAsync()
        {
            var bytes = _held.ToArray();
            _held.SetLength(0);
            _writes = int.MinValue; // From now on writes pass through.
            await inner.WriteAsync(bytes); // One send: the kernel queues it as one segment on loopback.
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (holdAfterFirstWrite && _writes++ >= 1)
            {
                _held.Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _held.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
