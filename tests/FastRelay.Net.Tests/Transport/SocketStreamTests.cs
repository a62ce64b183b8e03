using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Transport;

/// <summary>The stream under the TLS edge's SslStream: NetworkStream's contract, reusable, reset without a rendered trace.</summary>
public sealed class SocketStreamTests
{
    [Fact]
    public async Task Bytes_GoBothWays_AndALargeWriteCompletesWhole()
    {
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);

        var payload = Enumerable.Range(0, 4 << 20).Select(i => (byte)(i * 7)).ToArray();
        var receiving = ReceiveAllAsync(peer, payload.Length);
        await stream.WriteAsync(payload).AsTask().WithTimeout(); // Bigger than both socket buffers: completes only when all is sent.
        Assert.Equal(payload, await receiving.WithTimeout());

        await peer.SendAsync("pong"u8.ToArray(), SocketFlags.None);
        var buffer = new byte[16];
        var read = await stream.ReadAsync(buffer).AsTask().WithTimeout();
        Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(buffer, 0, read));

        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WithTimeout()); // The FIN.
        Close(socket, peer);
    }

    [Fact]
    public async Task ResetAlreadyQueued_ReadFailsAsNetworkStreamWould()
    {
        // The case that matters for cost: the RST is there before the read, so the call fails at once.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        Reset(peer);
        Assert.True(await WaitReadableAsync(socket), "the reset never arrived");

        var reading = stream.ReadAsync(new byte[16]).AsTask();
        Assert.True(reading.IsCompleted, "a queued reset fails the read at once");
        var error = await Assert.ThrowsAsync<IOException>(() => reading);
        var inner = Assert.IsType<SocketException>(error.InnerException);
        Assert.Equal(SocketError.ConnectionReset, inner.SocketErrorCode);
        Assert.Contains("Unable to read data from the transport connection", error.Message, StringComparison.Ordinal);

        // The point of the class: the error was never stamped with a rendered stack trace (the runtime's ValueTask
        // socket call, and so NetworkStream, stamps one with ExceptionDispatchInfo.SetCurrentStackTrace).
        Assert.Null(inner.StackTrace);
        Assert.True(stream.OperationsIdle);
        socket.Dispose();
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForData_AndLeavesTheBytesToTheNextRead()
    {
        // SslStream's wait for a record: no buffer, nothing consumed, and only real readiness ends it.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        var waiting = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        await peer.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);

        Assert.Equal(0, await waiting.WithTimeout());
        var buffer = new byte[16];
        Assert.Equal(3, await stream.ReadAsync(buffer).AsTask().WithTimeout());
        Assert.True(stream.OperationsIdle);
        Close(socket, peer);
    }

    [Fact]
    public async Task Readability_IsDataTheEndOrAReset_NotOurOwnHalfClose()
    {
        // What the stale-wake-up check of a zero-byte wait relies on (SocketOperation.WaitForDataAsync): true whenever
        // a receive would not wait (so the loop never waits past data, a FIN or a reset), false for an idle socket.
        var (idle, idlePeer) = await ConnectedPairAsync();
        Assert.False(SocketOperation.IsReadable(idle));
        idle.Shutdown(SocketShutdown.Send); // Our own FIN: the peer may still send.
        Assert.False(SocketOperation.IsReadable(idle));
        await idlePeer.SendAsync(new byte[] { 7 }, SocketFlags.None);
        Assert.True(await EventuallyReadable(idle));
        Close(idle, idlePeer);

        var (fin, finPeer) = await ConnectedPairAsync();
        finPeer.Shutdown(SocketShutdown.Send);
        Assert.True(await EventuallyReadable(fin));
        Close(fin, finPeer);

        var (reset, resetPeer) = await ConnectedPairAsync();
        Reset(resetPeer);
        Assert.True(await EventuallyReadable(reset));
        reset.Dispose();

        var (aborted, abortedPeer) = await ConnectedPairAsync();
        aborted.Shutdown(SocketShutdown.Both); // What an abort does to wake a pending call.
        Assert.True(SocketOperation.IsReadable(aborted));
        Close(aborted, abortedPeer);

        static async Task<bool> EventuallyReadable(Socket socket) => await TestTimeouts.EventuallyAsync(() => SocketOperation.IsReadable(socket));
    }

    [Fact]
    public async Task ResetWhileReadIsPending_ReadFails()
    {
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        var reading = stream.ReadAsync(new byte[16]).AsTask();
        await Task.Delay(50);
        Assert.False(reading.IsCompleted);

        Reset(peer);

        var error = await Assert.ThrowsAsync<IOException>(() => reading.WithTimeout());
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        socket.Dispose();
    }

    [Fact]
    public async Task WriteAfterReset_Fails()
    {
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        Reset(peer);
        Assert.True(await WaitReadableAsync(socket), "the reset never arrived");

        var error = await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[64]).AsTask().WithTimeout());
        Assert.Null(Assert.IsType<SocketException>(error.InnerException).StackTrace);
        Assert.True(stream.OperationsIdle);
        Assert.Contains("Unable to write data to the transport connection", error.Message, StringComparison.Ordinal);
        socket.Dispose();
    }

    [Fact]
    public async Task Cancellation_EndsAPendingRead_AndShutsTheSocketDown()
    {
        // The TLS handshake's deadline: the pending read must end, and the client learns the connection is over.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        using var deadline = new CancellationTokenSource();
        var reading = stream.ReadAsync(new byte[16], deadline.Token).AsTask();
        await Task.Delay(50);
        Assert.False(reading.IsCompleted);

        await deadline.CancelAsync();

        var ended = await Record.ExceptionAsync(async () => Assert.Equal(0, await reading.WithTimeout()));
        Assert.True(ended is null or IOException, $"the read ended with {ended}");
        Assert.Equal(0, await peer.ReceiveAsync(new byte[16], SocketFlags.None).WithTimeout()); // Our FIN.
        Close(socket, peer);
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_StartsNothing()
    {
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[16], new CancellationToken(canceled: true)).AsTask());

        // The operation was released: the next read works, through it.
        Assert.True(stream.OperationsIdle);
        await peer.SendAsync(new byte[] { 42 }, SocketFlags.None);
        var buffer = new byte[16];
        Assert.Equal(1, await stream.ReadAsync(buffer).AsTask().WithTimeout());
        Close(socket, peer);
    }

    [Fact]
    public async Task ManyReadsThatWait_AndWrites_LeaveTheOperationsFree()
    {
        // Each read waits and completes from the socket engine, as in the relay's steady state: an operation left
        // busy after its result was taken would send every later call down the runtime's slower path, unnoticed.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        var buffer = new byte[1];
        for (var i = 0; i < 300; i++)
        {
            var reading = stream.ReadAsync(buffer).AsTask();
            await peer.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(1, await reading.WithTimeout());
            Assert.True(stream.OperationsIdle, $"busy after read {i}");
            await stream.WriteAsync(buffer).AsTask().WithTimeout();
            Assert.True(stream.OperationsIdle, $"busy after write {i}");
            Assert.Equal((byte)i, (await peer.ReceiveExactlyAsync(1))[0]);
        }

        Close(socket, peer);
    }

    [Fact]
    public async Task OverlappingWrites_BothArriveWhole_InOrder()
    {
        // SslStream may answer a KeyUpdate while the send loop writes: the second write must not break the first.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        var first = stream.WriteAsync(Enumerable.Repeat((byte)0x11, 64 << 20).ToArray()).AsTask(); // Stalls: 64 MiB fits no socket buffer.
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        var second = stream.WriteAsync(Enumerable.Repeat((byte)0x22, 1 << 20).ToArray()).AsTask(); // The socket's own call: the operation is busy.

        var received = await ReceiveAllAsync(peer, 65 << 20).WithTimeout();
        await Task.WhenAll(first, second).WithTimeout();
        Assert.Equal(65 << 20, received.Length);
        Assert.True(received.AsSpan(0, 64 << 20).IndexOfAnyExcept((byte)0x11) < 0, "the first write's bytes were interleaved");
        Assert.True(received.AsSpan(64 << 20).IndexOfAnyExcept((byte)0x22) < 0, "the second write's bytes were interleaved");
        Close(socket, peer);
    }

    [Fact]
    public async Task ATokenCancelledAfterItsReadEnded_LeavesTheConnectionAlone()
    {
        // The registration must end with the call: a later deadline must not shut down a connection that is in use.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        using var deadline = new CancellationTokenSource();
        var buffer = new byte[16];
        var reading = stream.ReadAsync(buffer, deadline.Token).AsTask();
        await peer.SendAsync(new byte[] { 1 }, SocketFlags.None);
        Assert.Equal(1, await reading.WithTimeout());

        await deadline.CancelAsync();

        await peer.SendAsync(new byte[] { 2 }, SocketFlags.None);
        Assert.Equal(1, await stream.ReadAsync(buffer).AsTask().WithTimeout());
        Assert.Equal(2, buffer[0]);
        await stream.WriteAsync(new byte[] { 3 }).AsTask().WithTimeout();
        Assert.Equal(3, (await peer.ReceiveExactlyAsync(1))[0]);
        Close(socket, peer);
    }

    [Fact]
    public async Task SocketDisposedUnderAPendingRead_EndsIt_AndTheNextReadSaysDisposed()
    {
        // The connection's Abort disposes the socket from another thread.
        var (socket, peer) = await ConnectedPairAsync();
        using var stream = new SocketStream();
        stream.Attach(socket);
        var reading = stream.ReadAsync(new byte[16]).AsTask();
        await Task.Delay(50);

        socket.Dispose();

        var ended = await Record.ExceptionAsync(() => reading.WithTimeout());
        Assert.True(ended is IOException or ObjectDisposedException, $"the pending read ended with {ended}");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => _ = await stream.ReadAsync(new byte[16]));
        peer.Dispose();
    }

    [Fact]
    public async Task Reattached_ServesTheNextSocket_AndDetachedRefuses()
    {
        using var stream = new SocketStream();
        for (var round = 0; round < 3; round++)
        {
            var (socket, peer) = await ConnectedPairAsync();
            stream.Attach(socket);
            await peer.SendAsync(new byte[] { (byte)round }, SocketFlags.None);
            var buffer = new byte[1];
            Assert.Equal(1, await stream.ReadAsync(buffer).AsTask().WithTimeout());
            Assert.Equal(round, buffer[0]);
            stream.Detach();
            Close(socket, peer);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => _ = await stream.ReadAsync(new byte[1]));
    }

    private static void Reset(Socket peer)
    {
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
    }

    private static async Task<bool> WaitReadableAsync(Socket socket)
    {
        for (var i = 0; i < 500; i++)
        {
            if (socket.Poll(0, SelectMode.SelectRead))
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    private static async Task<byte[]> ReceiveAllAsync(Socket peer, int count)
    {
        var all = new byte[count];
        var received = 0;
        while (received < count)
        {
            var n = await peer.ReceiveAsync(all.AsMemory(received), SocketFlags.None);
            if (n == 0)
            {
                break;
            }

            received += n;
        }

        return all[..received];
    }

    private static async Task<(Socket Socket, Socket Peer)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = await SocketTestExtensions.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync().WithTimeout();
        return (accepted, peer);
    }

    private static void Close(Socket socket, Socket peer)
    {
        socket.Dispose();
        peer.Dispose();
    }
}
