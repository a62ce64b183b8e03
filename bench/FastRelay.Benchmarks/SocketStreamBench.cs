using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using FastRelay.Transport;

namespace FastRelay.Benchmarks;

/// <summary>
/// The stream under the TLS edge's SslStream, against the NetworkStream it replaced: (a) a read that finds the peer's
/// RST already queued, the cost of a client that resets (each operation connects, resets and reads; the connect is
/// the same in both rows), and (b) a 64 B ping-pong on an open connection whose reads wait for the data, where both must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class SocketStreamBench
{
    private readonly byte[] _buffer = new byte[64];
    private readonly byte[] _request = new byte[64];
    private readonly SocketStream _reused = new();
    private readonly SocketStream _resetStream = new(); // Reused per connection, as the pooled TLS connection does.
    private Socket _listener = null!;
    private Socket _client = null!;
    private Socket _server = null!;
#pragma warning disable RS0030 // The baseline: NetworkStream is what the relay used before.
    private NetworkStream _networkStream = null!;
#pragma warning restore RS0030

    [GlobalSetup]
    public void Setup()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        (_client, _server) = Connect();
#pragma warning disable RS0030
        _networkStream = new NetworkStream(_server, ownsSocket: false);
#pragma warning restore RS0030
        _reused.Attach(_server);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _networkStream.Dispose();
        _reused.Dispose();
        _resetStream.Dispose();
        _client.Dispose();
        _server.Dispose();
        _listener.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("reset")]
    public async Task<int> ResetRead_NetworkStream()
    {
        var (client, server) = ResetPair();
#pragma warning disable RS0030
        using var stream = new NetworkStream(server, ownsSocket: true);
#pragma warning restore RS0030
        client.Dispose();
        return await FailingReadAsync(stream);
    }

    [Benchmark]
    [BenchmarkCategory("reset")]
    public async Task<int> ResetRead_SocketStream()
    {
        var (client, server) = ResetPair();
        _resetStream.Attach(server);
        client.Dispose();
        var result = await FailingReadAsync(_resetStream);
        _resetStream.Detach();
        server.Dispose();
        return result;
    }

    [Benchmark]
    [BenchmarkCategory("pingpong")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> PingPong64B_NetworkStream() => await PingPongAsync(_networkStream);

    [Benchmark]
    [BenchmarkCategory("pingpong")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> PingPong64B_SocketStream() => await PingPongAsync(_reused);

    // The server's read starts before the client sends, so it waits and completes from the socket engine (the
    // relay's steady state), not only the path where the bytes are already there.
    private async ValueTask<int> PingPongAsync(Stream server)
    {
        var reading = server.ReadAsync(_buffer.AsMemory());
        await _client.SendAsync(_request.AsMemory(), SocketFlags.None);
        var read = await reading;
        while (read < _buffer.Length)
        {
            read += await server.ReadAsync(_buffer.AsMemory(read));
        }

        await server.WriteAsync(_buffer.AsMemory());
        read = 0;
        while (read < _buffer.Length)
        {
            read += await _client.ReceiveAsync(_buffer.AsMemory(read), SocketFlags.None);
        }

        return read;
    }

    private async Task<int> FailingReadAsync(Stream stream)
    {
        try
        {
            return await stream.ReadAsync(_buffer.AsMemory());
        }
        catch (IOException)
        {
            return -1;
        }
    }

    // A connected pair whose client resets on Dispose, with the RST already at the server before the read.
    private (Socket Client, Socket Server) ResetPair()
    {
        var (client, server) = Connect();
        client.LingerState = new LingerOption(true, 0);
        return (client, server);
    }

    private (Socket Client, Socket Server) Connect()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(_listener.LocalEndPoint!);
        var server = _listener.Accept();
        server.NoDelay = true;
        return (client, server);
    }
}
