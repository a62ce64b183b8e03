using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Transport;

/// <summary>The socket transport under the relay: read sizes, idle memory, half-close, graceful close.</summary>
public sealed class SocketPipeConnectionTests
{
    private const int Block = 64 * 1024;

    [Fact]
    public async Task BulkData_IsReadInFullBlocks_NotFourKiBSegments()
    {
        // The trap: a pipe's default 4 KiB segments make every socket read 4 KiB (3-4x the CPU per byte).
        using var pool = new BlockMemoryPool(Block, 64);
        var (connection, peer) = await ConnectedPairAsync(pool);
        await peer.SendAsync(new byte[1 << 20], SocketFlags.None);

        var read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        while (read.Buffer.Length < 2 * Block)
        {
            connection.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        }

        // Reads take up to a whole block (a read may end early when the kernel has less queued, never at 4 KiB).
        Assert.True(read.Buffer.First.Length > 16 * 1024, $"first read was {read.Buffer.First.Length} bytes");
        connection.Input.AdvanceTo(read.Buffer.End);
        await CloseAsync(connection, peer);
    }

    [Fact]
    public async Task Receive64MiB_ReusesBlocks()
    {
        using var pool = new BlockMemoryPool(Block, 1024);
        var (connection, peer) = await ConnectedPairAsync(pool);
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[1 << 20];
            for (var i = 0; i < 64; i++)
            {
                await peer.SendAsync(chunk, SocketFlags.None);
            }

            peer.Shutdown(SocketShutdown.Send);
        });
        long total = 0;
        while (true)
        {
            var read = await connection.Input.ReadAsync().AsTask().WithTimeout();
            total += read.Buffer.Length;
            connection.Input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        await sending;
        Assert.Equal(64L << 20, total);
        Assert.True(pool.BlocksCreated <= 16, $"{pool.BlocksCreated} blocks created, {pool.IdleBlocks} idle");
        await CloseAsync(connection, peer);
    }

    [Fact]
    public async Task Pump64MiB_BetweenTwoConnections_StaysWithinBackPressure()
    {
        using var pool = new BlockMemoryPool(Block, 1024);
        var (a, peerA) = await ConnectedPairAsync(pool);
        var (b, peerB) = await ConnectedPairAsync(pool);
        var pump = FastRelay.Relaying.PipePump.CopyAsync(a.Input, b.Output, new NoProgress(), FastRelay.Relaying.RelayDirection.ClientToUpstream);
        var receiving = peerB.ReceiveToEndAsync();
        var chunk = new byte[1 << 20];
        var lengthProp = typeof(System.IO.Pipelines.Pipe).GetProperty("Length", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var recvField = typeof(SocketPipeConnection).GetField("_receive", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var sendField = typeof(SocketPipeConnection).GetField("_send", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        long maxRecv = 0, maxSend = 0, maxOut = 0;
        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                maxRecv = Math.Max(maxRecv, (long)lengthProp.GetValue(recvField.GetValue(a))!);
                maxSend = Math.Max(maxSend, (long)lengthProp.GetValue(sendField.GetValue(b))!);
                maxOut = Math.Max(maxOut, pool.BlocksCreated - pool.IdleBlocks);
                await Task.Delay(1);
            }
        });
        for (var i = 0; i < 64; i++)
        {
            await peerA.SendAsync(chunk, SocketFlags.None);
        }

        peerA.Shutdown(SocketShutdown.Send);
        var (result, _) = await pump.WithTimeout();
        await stopSampling.CancelAsync();
        await sampler;
        // Each pipe pauses its writer at two blocks; a read or a copy may overshoot by one block.
        Assert.True(maxRecv <= 4 * Block && maxSend <= 4 * Block, $"largest pipes: receive {maxRecv} B, send {maxSend} B");
        await b.Output.CompleteAsync();
        Assert.Equal(64 << 20, (await receiving).Length);
        Assert.Equal(FastRelay.Relaying.PumpResult.SourceCompleted, result);
        Assert.True(pool.BlocksCreated <= 16, $"{pool.BlocksCreated} blocks created (at most {maxOut} out at once)");
    }

    private sealed class NoProgress : FastRelay.Relaying.IPumpProgress
    {
        public void OnTransferred(FastRelay.Relaying.RelayDirection direction, long bytes) { } // Not counted here.
    }

    [Fact]
    public async Task Send64MiB_ReusesBlocks()
    {
        using var pool = new BlockMemoryPool(Block, 1024);
        var (connection, peer) = await ConnectedPairAsync(pool);
        var receiving = peer.ReceiveToEndAsync();
        var chunk = new byte[Block];
        for (var i = 0; i < 1024; i++)
        {
            await connection.Output.WriteAsync(chunk);
        }

        await connection.Output.CompleteAsync();
        Assert.Equal(64 << 20, (await receiving).Length);
        Assert.True(pool.BlocksCreated <= 16, $"{pool.BlocksCreated} blocks created, {pool.IdleBlocks} idle");
        await connection.Input.CompleteAsync();
        peer.Dispose();
        await connection.CloseAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task IdleConnection_HoldsNoBuffer_UntilDataArrives()
    {
        using var pool = new BlockMemoryPool(Block, 64);
        var (connection, peer) = await ConnectedPairAsync(pool);
        await Task.Delay(100);
        Assert.Equal(0, pool.BlocksCreated); // Waiting on a zero-byte read, not on a rented block.

        await peer.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
        var read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        Assert.Equal(3, read.Buffer.Length);
        connection.Input.AdvanceTo(read.Buffer.End);

        // Consumed: the block goes back to the pool while the connection idles again.
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.IdleBlocks == pool.BlocksCreated));
        await CloseAsync(connection, peer);
    }

    [Fact]
    public async Task CompletingOutput_SendsFin_InputStillReceives()
    {
        using var pool = new BlockMemoryPool(Block, 64);
        var (connection, peer) = await ConnectedPairAsync(pool);
        await connection.Output.WriteAsync(new byte[] { 42 });
        await connection.Output.CompleteAsync();

        Assert.Equal(new byte[] { 42 }, await peer.ReceiveToEndAsync());
        await peer.SendAsync(new byte[] { 43 }, SocketFlags.None);
        var read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        Assert.Equal(43, read.Buffer.FirstSpan[0]);
        connection.Input.AdvanceTo(read.Buffer.End);
        peer.Shutdown(SocketShutdown.Send);
        read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        Assert.True(read.IsCompleted);
        connection.Input.AdvanceTo(read.Buffer.End);
        await connection.Input.CompleteAsync();
        Assert.True(await connection.CloseAsync(TimeSpan.FromSeconds(5)).WithTimeout());
        peer.Dispose();
    }

    [Fact]
    public async Task Abort_PeerSeesReset()
    {
        using var pool = new BlockMemoryPool(Block, 64);
        var (connection, peer) = await ConnectedPairAsync(pool);

        connection.Abort();

        var error = await Assert.ThrowsAsync<SocketException>(() => peer.ReceiveAsync(new byte[1], SocketFlags.None).WithTimeout());
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        await CloseAsync(connection, peer);
    }

    [Fact]
    public async Task Reused_AfterAnAbortWhileBothLoopsWereOnTheSocket_TheNextConnectionIsWhole()
    {
        // Abort wakes loops parked on the pipes by cancelling their pending flush and read. Parked on the socket
        // instead (a peer that neither reads nor sends), they never take that cancellation: it must not stay behind
        // in the pooled pipes, or the next connection's first send ends at once (as aborted) and its first receive
        // as a clean end. (The race with a CloseAsync on another thread: GatewayServerTests, streams reset one after another.)
        using var pool = new BlockMemoryPool(Block, 256);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(2);
        var connection = new SocketPipeConnection(TransportOptions.Create(pool));
        using (var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 })
        {
            await stalled.ConnectAsync((IPEndPoint)listener.LocalEndPoint!).WithTimeout();
            connection.Start(await listener.AcceptAsync().WithTimeout());
            ValueTask<System.IO.Pipelines.FlushResult> flush;
            var sent = 0;
            do
            {
                flush = connection.Output.WriteAsync(new byte[Block]);
                sent++;
            }
            while (flush.IsCompleted && sent < 4096);
            Assert.False(flush.IsCompleted, "the peer took everything");
            await Task.Delay(100); // The send loop is in the socket's send, the receive loop in its wait for data.

            connection.Abort();
            try
            {
                await flush.AsTask().WithTimeout();
            }
            catch (IOException)
            {
                // The send failed: the abort reached it.
            }

            await connection.Input.CompleteAsync();
            await connection.Output.CompleteAsync();
            await connection.CloseAsync(TimeSpan.FromSeconds(5)).WithTimeout();
        }

        using var peer = await SocketTestExtensions.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        connection.Start(await listener.AcceptAsync().WithTimeout());
        await peer.SendAsync(new byte[] { 42 }, SocketFlags.None);
        var read = await connection.Input.ReadAsync().AsTask().WithTimeout();
        Assert.False(read.IsCanceled || read.IsCompleted, "the new connection's input ended at once");
        Assert.Equal(42, read.Buffer.FirstSpan[0]);
        connection.Input.AdvanceTo(read.Buffer.End);
        var flushed = await connection.Output.WriteAsync(new byte[] { 7 }).AsTask().WithTimeout();
        Assert.False(flushed.IsCanceled || flushed.IsCompleted, "the new connection's output ended at once");
        Assert.Equal(7, (await peer.ReceiveExactlyAsync(1).WithTimeout())[0]);
        await CloseAsync(connection, peer);
    }

    private static async Task<(SocketPipeConnection Connection, Socket Peer)> ConnectedPairAsync(BlockMemoryPool pool)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = await SocketTestExtensions.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync().WithTimeout();
        var connection = new SocketPipeConnection(TransportOptions.Create(pool));
        connection.Start(accepted);
        return (connection, peer);
    }

    private static async Task CloseAsync(SocketPipeConnection connection, Socket peer)
    {
        await connection.Input.CompleteAsync();
        await connection.Output.CompleteAsync();
        peer.Dispose();
        await connection.CloseAsync(TimeSpan.FromSeconds(5)).WithTimeout();
    }
}
