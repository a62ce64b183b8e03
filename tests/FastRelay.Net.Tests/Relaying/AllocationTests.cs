using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>
/// Steady-state forwarding allocates nothing per byte: buffer blocks are reused, not created per read.
/// Guards the pool wiring end to end (the BenchmarkDotNet benchmarks measure the same in isolation).
/// </summary>
public sealed class AllocationTests
{
    [Fact]
    public async Task Bulk256MiB_ReusesBufferBlocks()
    {
        await using var sink = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Sink);
        await using var edge = TestEdge.Start(sink.EndPoint.ToString());
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        var chunk = new byte[1 << 20];
        for (var i = 0; i < 256; i++)
        {
            await client.SendAsync(chunk, SocketFlags.None).WithTimeout(); // A stalled relay fails here, not at CI's deadline.
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(256L << 20, await LoopbackBackend.ReadSinkCountAsync(client).WithTimeout());

        // 4096 reads of 64 KiB went through; a handful of blocks in flight at a time is all it may take.
        Assert.True(edge.Server.Memory.BlocksCreated is >= 1 and <= 32, $"{edge.Server.Memory.BlocksCreated} blocks created for 4096 reads");
    }
}
