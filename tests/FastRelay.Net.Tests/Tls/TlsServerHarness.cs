using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Tls;

// The two ends SslRecordReaderTests drive: a server TlsPipeConnection after its handshake, and a client (an SslStream
// whose writes can be held to coalesce them, or openssl s_client).

/// <summary>A server <see cref="TlsPipeConnection"/> after its handshake with whatever client connected.</summary>
internal sealed class ServerSide : IAsyncDisposable
{
    private readonly BlockMemoryPool _pool;

    private ServerSide(BlockMemoryPool pool, TlsPipeConnection connection, Socket socket)
    {
        _pool = pool;
        Connection = connection;
        Socket = socket;
    }

    public TlsPipeConnection Connection { get; }

    /// <summary>The server's socket (what is still queued in it: <see cref="Socket.Available"/>).</summary>
    public Socket Socket { get; }

    public static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

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
        return new ServerSide(pool, connection, socket);
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
internal sealed class ServerPair : IAsyncDisposable
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

    public Socket ServerSocket => _side.Socket;

    public SslStream Client { get; }

    public Socket ClientSocket { get; }

    public byte[] FirstWrite { get; }

    public static async Task<ServerPair> StartAsync(
        TestCertificates pki, bool coalesceClientFinished = false, bool readsRecordsDirectly = true, SslProtocols protocol = SslProtocols.Tls13)
    {
        using var listener = ServerSide.Listen();
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
internal sealed class HoldingStream(NetworkStream inner, bool holdAfterFirstWrite) : Stream
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
