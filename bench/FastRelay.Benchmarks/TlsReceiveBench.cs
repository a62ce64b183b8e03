using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using FastRelay.Tls;
using FastRelay.Transport;

namespace FastRelay.Benchmarks;

/// <summary>
/// The TLS edge's receive direction on one mutual-TLS connection over loopback: 1 MiB from a client SslStream (16 KiB
/// records) into the server's <see cref="TlsPipeConnection.Input"/>, read the way the relay reads it. Two rows:
/// OpenSSL reading the socket itself (<c>SslRecordReader</c>, the edge's path) and SslStream's reads (the fallback).
/// Both include the client's encryption in the same process, so the ratio understates the receive side's gain.
/// [MemoryDiagnoser]: neither may allocate per operation once warm.
/// </summary>
[MemoryDiagnoser]
public class TlsReceiveBench
{
    private const int Bytes = 1 << 20;
    private readonly byte[] _payload = new byte[Bytes];
    private BlockMemoryPool _pool = null!;
    private Socket _listener = null!;
    private X509Certificate2 _serverCertificate = null!;
    private X509Certificate2 _clientCertificate = null!;
    private Connection _direct = null!;
    private Connection _sslStream = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_payload);
        _pool = new BlockMemoryPool(64 * 1024, 64);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(8);
        _serverCertificate = SelfSigned("CN=edge.bench", serverAuth: true);
        _clientCertificate = SelfSigned("CN=desk.bench", serverAuth: false);
        _direct = Connect(readsRecordsDirectly: true);
        _sslStream = Connect(readsRecordsDirectly: false);
        if (_direct.Server.RecordReaderNote is { } note)
        {
            throw new InvalidOperationException($"the record reader did not take the connection over: {note}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _direct.Dispose();
        _sslStream.Dispose();
        _listener.Dispose();
        _serverCertificate.Dispose();
        _clientCertificate.Dispose();
        _pool.Dispose();
    }

    [Benchmark]
    public ValueTask<long> Receive1MiB_RecordReader() => _direct.MoveAsync(_payload);

    [Benchmark(Baseline = true)]
    public ValueTask<long> Receive1MiB_SslStream() => _sslStream.MoveAsync(_payload);

    private Connection Connect(bool readsRecordsDirectly)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(_listener.LocalEndPoint!);
        var serverSocket = _listener.Accept();
        serverSocket.NoDelay = true;
        var server = new TlsPipeConnection(TransportOptions.Create(_pool)) { ReadsRecordsDirectly = readsRecordsDirectly };
        var serverStream = server.Attach(serverSocket);
        var clientStream = new SslStream(new NetworkStream(client, ownsSocket: true), leaveInnerStreamOpen: false);
        var serverSide = serverStream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = _serverCertificate,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null, // Self-signed: the bench needs the handshake, not the trust.
        });
        clientStream.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "edge.bench",
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificates = [_clientCertificate],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
        });
        serverSide.GetAwaiter().GetResult();
        server.Start();
        return new Connection(server, clientStream);
    }

    private static X509Certificate2 SelfSigned(string subject, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class Connection(TlsPipeConnection server, SslStream client) : IDisposable
    {
        public TlsPipeConnection Server { get; } = server;

        // Pooled, and the write awaited as a ValueTask: the bench's own code allocates nothing, so what is left is the paths'.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<long> MoveAsync(byte[] payload)
        {
            var writing = client.WriteAsync(payload);
            long received = 0;
            var input = Server.Input;
            while (received < payload.Length)
            {
                var read = await input.ReadAsync();
                received += read.Buffer.Length;
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted && received < payload.Length)
                {
                    throw new InvalidOperationException($"the connection ended after {received} of {payload.Length} bytes");
                }
            }

            await writing;
            return received;
        }

        public void Dispose()
        {
            client.Dispose();
            Server.Abort();
            Server.Input.Complete();
            Server.Output.Complete();
            _ = Server.CloseAsync(TimeSpan.Zero).Wait(TimeSpan.FromSeconds(10));
        }
    }
}
