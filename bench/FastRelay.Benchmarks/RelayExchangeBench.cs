using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Relaying;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: one 64 B request/response exchange on an established connection through the edge (client -> edge ->
/// echo backend -> edge -> client), per data path: the epoll loops (default) against the pipes. Allocations are
/// the whole process's (client, relay and backend share it): the point is 0 B per exchange after warm-up on both.
/// </summary>
[MemoryDiagnoser]
public class RelayExchangeBench
{
    private readonly byte[] _request = new byte[64];
    private readonly byte[] _response = new byte[64];
    private LoopbackBackend _echo = null!;
    private EdgeServer _edge = null!;
    private Socket _client = null!;

    [Params("epoll", "pipes")]
    public string DataPath { get; set; } = "epoll";

    [GlobalSetup]
    public void Setup()
    {
        _echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "echo@127.0.0.1:0", "bench"),
            new("route", $"echo={_echo.EndPoint}", "bench"),
            new("data-path", DataPath, "bench"),
        ]);
        _edge = EdgeServer.Start(options, NullLoggerFactory.Instance, TimeProvider.System);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_edge.EndPoints[0]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _edge.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _echo.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    // Pooled builder: the benchmark's own async state machine must not be what the diagnoser counts.
    [Benchmark]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> Exchange64B()
    {
        await _client.SendAsync(_request.AsMemory(), SocketFlags.None);
        var received = 0;
        while (received < _response.Length)
        {
            var n = await _client.ReceiveAsync(_response.AsMemory(received), SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException("the relay closed the connection");
            }

            received += n;
        }

        return received;
    }
}
