using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Session;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: a whole tunnel connection on loopback, edge and gateway in one process (records, frames, flow
/// control, both loops): 16 MiB bulk over one stream (time per 16 MiB → MB/s), and a 64-byte ping-pong on
/// one stream (time per round trip: what the tunnel adds to interactive latency). Allocations are per op
/// for the whole process. The baseline is the same work over a bare socket pair.
/// </summary>
[MemoryDiagnoser]
public class TunnelLoopbackBench
{
    private const int BulkBytes = 16 << 20;
    private const int RoundTrips = 2000;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private readonly byte[] _small = new byte[64];
    private TunnelConnection _edge = null!;
    private TunnelConnection _gateway = null!;
    private TunnelStream _echo = null!;
    private Socket _plainClient = null!;
    private Socket _plainServer = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_edge, _gateway) = StartPairAsync().GetAwaiter().GetResult();
        _echo = _edge.OpenStreamAsync(TunnelTarget.ForRoute("echo"), TimeSpan.FromSeconds(10), CancellationToken.None).AsTask().GetAwaiter().GetResult().Stream!;
        (_plainClient, _plainServer) = ConnectAsync().GetAwaiter().GetResult();
        _ = PlainEchoAsync(_plainServer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _edge.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _gateway.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _plainClient.Dispose();
        _plainServer.Dispose();
    }

    [Benchmark]
    public async Task<long> Bulk16MiBOverTunnel()
    {
        var open = await _edge.OpenStreamAsync(TunnelTarget.ForRoute("sink"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var stream = open.Stream!;
        for (var sent = 0; sent < BulkBytes; sent += _chunk.Length)
        {
            await stream.Output.WriteAsync(_chunk);
        }

        await stream.Output.CompleteAsync();
        var read = await stream.Input.ReadAsync(); // The sink answers with FIN once it has read everything.
        stream.Input.AdvanceTo(read.Buffer.End);
        await stream.Input.CompleteAsync();
        return BulkBytes;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public async Task<int> PingPong64BytesOverSocket()
    {
        var buffer = new byte[64];
        for (var i = 0; i < RoundTrips; i++)
        {
            await _plainClient.SendAsync(_small, SocketFlags.None);
            var got = 0;
            while (got < 64)
            {
                got += await _plainClient.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            }
        }

        return RoundTrips;
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task<int> PingPong64BytesOverTunnel()
    {
        for (var i = 0; i < RoundTrips; i++)
        {
            await _echo.Output.WriteAsync(_small);
            var got = 0L;
            while (got < 64)
            {
                var read = await _echo.Input.ReadAsync();
                got += read.Buffer.Length;
                _echo.Input.AdvanceTo(read.Buffer.End);
            }
        }

        return RoundTrips;
    }

    private static async Task<(TunnelConnection Edge, TunnelConnection Gateway)> StartPairAsync()
    {
        var (client, server) = await ConnectAsync();
        var edgeKey = X25519Dh.Instance.GenerateKeyPair();
        var gatewayKey = X25519Dh.Instance.GenerateKeyPair();
        var options = new TunnelConnectionOptions();
        var initiate = TunnelHandshake.InitiateAsync(client, edgeKey, TunnelAuthentication.Pinned([gatewayKey.PublicKey.ToArray()]),
            options.ToSettings(), "edge", TunnelHandshake.DefaultTimeout, CancellationToken.None);
        var respond = TunnelHandshake.RespondAsync(server, gatewayKey, TunnelAuthentication.Pinned([edgeKey.PublicKey.ToArray()]),
            options.ToSettings(), "gateway", TunnelHandshake.DefaultTimeout, CancellationToken.None);
        var edge = TunnelConnection.Start(client, await initiate, true, options, null, NullLogger.Instance, TimeProvider.System);
        var gateway = TunnelConnection.Start(server, await respond, false, options, new SinkOrEcho(), NullLogger.Instance, TimeProvider.System);
        return (edge, gateway);
    }

    private static async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await accept;
        server.NoDelay = true;
        return (client, server);
    }

    private static async Task PlainEchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) is var n and > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Cleanup closed it: the benchmark is over.
        }
    }

    /// <summary>The gateway side: route "echo" echoes, anything else is a sink that answers FIN at the end.</summary>
    private sealed class SinkOrEcho : ITunnelStreamAcceptor
    {
        public async Task AcceptAsync(TunnelStreamRequest request, CancellationToken ct)
        {
            if (request.Accept() is not { } stream)
            {
                return;
            }

            var echo = request.Target.Host == "echo";
            while (true)
            {
                var read = await stream.Input.ReadAsync(CancellationToken.None);
                if (echo)
                {
                    foreach (var segment in read.Buffer)
                    {
                        await stream.Output.WriteAsync(segment, CancellationToken.None);
                    }
                }

                stream.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await stream.Input.CompleteAsync();
            await stream.Output.CompleteAsync();
        }
    }
}
