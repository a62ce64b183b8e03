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
