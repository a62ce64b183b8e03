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
                closed = true;
                Assert.True(received.Length < upload.Length / 2, $"{received.Length} bytes read before the close_notify");
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
        using var listener = Listen();
        var client = new OpenSslClient(
            "-connect", listener.LocalEndPoint!.ToString()!, "-tls1_2", "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile,
            "-CAfile", _pki.CaFile, "-servername", "edge.test", "-no_ign_eof");
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
        using var listener = Listen();
        var client = new OpenSslClient(
            "-connect", listener.LocalEndPoint!.ToString()!, "-tls1_3", "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile,
            "-CAfile", _pki.CaFile, "-servername", "edge.test", "-no_ign_eof");
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
            await client.SendLineAsync("ping-after-k2");
            Assert.True(await client.WaitForOutputAsync("ping-after-k2"), client.Output);
            Assert.False(echoing.IsCompleted, echoing.Exception?.ToString());
        }

        Assert.Equal(0, client.ExitCode);
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    /// <summary>A server <see cref="TlsPipeConnection"/> after its handshake with whatever client connected.</summary>
    private sealed class ServerSide : IAsyncDisposable
    {
        private readonly BlockMemoryPool _pool;

        private ServerSide(BlockMemoryPool pool, TlsPipeConnection connection)
        {
            _pool = pool;
            Connection = connection;
        }

        public TlsPipeConnection Connection { get; }

        public static async Task<ServerSide> HandshakeAsync(Socket socket, TestCertificates pki, bool readsRecordsDirectly, Func<Task>? clientSide = null)
        {
            socket.NoDelay = true;
            var errors = new List<string>();
            var options = new TlsOptions { CertificateFile = pki.ServerCertFile, KeyFile = pki.ServerKeyFile, ClientCaFile = pki.CaFile, OcspStaple = OcspStapling.Off };
            var material = TlsMaterial.TryLoad(options, TimeProvider.System, keepChains: false, errors) ?? throw new InvalidOperationException(string.Join("; ", errors));
            var pool = new BlockMemoryPool(64 * 1024, 16);
            var connection = new TlsPipeConnection(TransportOptions.Create(pool)) { ReadsRecordsDirectly = readsRecordsDirectly };
            var stream = connection.Attach(socket);
            var serverSide = stream.AuthenticateAsServerAsync(ServerAuthentication.Create(material, (_, certificate, _, _) => certificate is not null));
            if (clientSide is not null)
            {
                await clientSide();
            }

            await serverSide.WithTimeout();
            connection.Start();
            return new ServerSide(pool, connection);
        }

        public static async Task<ServerSide> AcceptAsync(Socket listener, TestCertificates pki) =>
            await HandshakeAsync(await listener.AcceptAsync().WithTimeout(), pki, readsRecordsDirectly: true);

        public Task<byte[]> ReadInputAsync(int count) => ReadAsync(Connection.Input, count);

        public Task<byte[]> ReadInputToEndAsync() => ReadAsync(Connection.Input, int.MaxValue);

        // Input to Output until Input ends.
        public async Task EchoAsync()
        {
            while (true)
            {
                var read = await Connection.Input.ReadAsync();
                foreach (var segment in read.Buffer)
                {
                    await Connection.Output.WriteAsync(segment);
                }

                Connection.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            Connection.Abort();
            Connection.Input.Complete(); // The owner's ends: CloseAsync resets the pipes for the next client.
            Connection.Output.Complete();
            _ = await Connection.CloseAsync(TimeSpan.Zero).WithTimeout();
            _pool.Dispose();
        }

        private static async Task<byte[]> ReadAsync(PipeReader input, int count)
        {
            var received = new MemoryStream();
            while (received.Length < count)
            {
                var read = await input.ReadAsync().AsTask().WithTimeout();
                foreach (var segment in read.Buffer)
                {
                    received.Write(segment.Span);
                }

                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            return received.ToArray();
        }
    }

    /// <summary>A server <see cref="TlsPipeConnection"/> after its handshake, and the client at the other end of the socket.</summary>
    private sealed class ServerPair : IAsyncDisposable
    {
        private readonly ServerSide _side;

        private ServerPair(ServerSide side, SslStream client, Socket clientSocket, byte[] firstWrite)
        {
            _side = side;
            Client = client;
            ClientSocket = clientSocket;
            FirstWrite = firstWrite;
        }

        public TlsPipeConnection Server => _side.Connection;

        public SslStream Client { get; }

        public Socket ClientSocket { get; }

        public byte[] FirstWrite { get; }

        public static async Task<ServerPair> StartAsync(
            TestCertificates pki, bool coalesceClientFinished = false, bool readsRecordsDirectly = true, SslProtocols protocol = SslProtocols.Tls13)
        {
            using var listener = Listen();
            var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await clientSocket.ConnectAsync(listener.LocalEndPoint!);
            var serverSocket = await listener.AcceptAsync();

            // Coalescing needs TLS 1.3, where the client is done once its Finished is written (TLS 1.2 waits for the server's).
            var transport = new HoldingStream(new NetworkStream(clientSocket, ownsSocket: false), holdAfterFirstWrite: coalesceClientFinished);
            var client = new SslStream(transport, leaveInnerStreamOpen: false);
            var firstWrite = SocketTestExtensions.RandomBytes(40_000, seed: 3);
            var side = await ServerSide.HandshakeAsync(serverSocket, pki, readsRecordsDirectly, async () =>
            {
                await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "edge.test",
                    EnabledSslProtocols = protocol,
                    ClientCertificates = [pki.Client],
                    RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
                }).WithTimeout();
                if (coalesceClientFinished)
                {
                    await client.WriteAsync(firstWrite); // Held with the Finished, then sent in one send.
                    await transport.ReleaseAsync();
                }
            });
            return new ServerPair(side, client, clientSocket, firstWrite);
        }

        public Task<byte[]> ReadInputAsync(int count) => _side.ReadInputAsync(count);

        public Task<byte[]> ReadInputToEndAsync() => _side.ReadInputToEndAsync();

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            ClientSocket.Dispose();
            await _side.DisposeAsync();
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
