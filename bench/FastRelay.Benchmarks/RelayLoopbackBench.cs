using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Relaying;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the whole relay on loopback (accept, socket reads, pump, socket sends) moving 16 MiB from a
/// client to a sink backend, per read size: the default 64 KiB against the 4 KiB a pipe's default segment
/// size would give (the trap in SocketPipeConnection's remarks). Reports time per 16 MiB and allocations
/// for the whole process (client, relay and backend share it), on both data paths (<c>--data-path</c>), the epoll
/// path with bulk splicing (<c>--splice on</c>, the default) and without (<c>epoll-copy</c>: <c>--splice off</c>).
/// </summary>
[MemoryDiagnoser]
public class RelayLoopbackBench
{
    private const int TotalBytes = 16 << 20;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private LoopbackBackend _sink = null!;
    private EdgeServer _edge = null!;

    [Params(4096, 65536)]
    public int ReadBytes { get; set; }

    [Params("epoll", "epoll-copy", "pipes")]
    public string DataPath { get; set; } = "epoll";

    [GlobalSetup]
    public void Setup()
    {
        _sink = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Sink);
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "sink@127.0.0.1:0", "bench"),
            new("route", $"sink={_sink.EndPoint}", "bench"),
            new("buffer-size", ReadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "bench"),
            new("data-path", DataPath == "pipes" ? "pipes" : "epoll", "bench"),
            new("splice", DataPath == "epoll-copy" ? "off" : "on", "bench"),
        ]);
        _edge = EdgeServer.Start(options, NullLoggerFactory.Instance, TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _edge.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<long> Send16MiBThroughRelay()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_edge.EndPoints[0]);
        for (var sent = 0; sent < TotalBytes; sent += _chunk.Length)
        {
            await socket.SendAsync(_chunk.AsMemory(), SocketFlags.None);
        }

        socket.Shutdown(SocketShutdown.Send);
        return await LoopbackBackend.ReadSinkCountAsync(socket);
    }
}
