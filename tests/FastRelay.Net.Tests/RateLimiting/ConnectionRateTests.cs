using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Net.Tests.RateLimiting;

/// <summary>
/// <c>--conn-rate</c> on real sockets with a fake clock (clients on 127.0.0.2 and 127.0.0.3 get their own
/// buckets), and <c>--bandwidth</c> shaping with the real clock (a lower bound on time only).
/// </summary>
public sealed class ConnectionRateTests
{
    private static readonly IPAddress DeskTwo = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress DeskThree = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task PerSourceBucket_BurstThenRefused_OtherSourceUnaffected_RefillsWithTime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), time: time, flags: [("conn-rate", "2/s"), ("conn-burst", "2")]);

        Assert.True(await EchoesAsync(edge, DeskTwo));
        Assert.True(await EchoesAsync(edge, DeskTwo));
        Assert.False(await EchoesAsync(edge, DeskTwo));   // The bucket of 127.0.0.2 is empty...
        Assert.True(await EchoesAsync(edge, DeskThree));  // ...that of 127.0.0.3 is not.
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.RateLimited] == 1));

        time.Advance(TimeSpan.FromSeconds(1)); // Two tokens back at 2/s.
        Assert.True(await EchoesAsync(edge, DeskTwo));
    }

    [Fact]
    public async Task ServiceKey_OneBucketForEveryClientOfTheService()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), time: time, flags: [("conn-rate", "1/m"), ("conn-burst", "1"), ("rate-key", "service")]);

        Assert.True(await EchoesAsync(edge, DeskTwo));
        Assert.False(await EchoesAsync(edge, DeskThree));
    }

    [Fact]
    public async Task Bandwidth_ShapesTheTransfer_EveryByteArrives()
    {
        const int total = 3 << 20;
        await using var sink = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Sink);
        await using var edge = TestEdge.Start(sink.EndPoint.ToString(), flags: ("bandwidth", "1MiB/s"));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        var started = Stopwatch.GetTimestamp();
        await client.SendAsync(new byte[total], SocketFlags.None).WithTimeout();
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(total, await LoopbackBackend.ReadSinkCountAsync(client).WithTimeout());

        // 3 MiB at 1 MiB/s with a 64 KiB burst cannot take less than ~2.9 s (kernel buffers ahead of the
        // relay do not count: the sink's count comes after the relay sent the last byte).
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(2.5), $"took {Stopwatch.GetElapsedTime(started)}");
    }

    [Fact]
    public async Task Bandwidth_LowRate_TheBurstGoesAtOnce_AndATransferWithinItsRateIsNeverIdle()
    {
        // 8 KiB/s with the default 64 KiB burst, 96 KiB sent at once. The burst must not wait for the last 32 KiB's
        // turn (the pump used to book its whole read first: 4 s of silence), and with --idle-timeout 2s a transfer
        // that moves the whole time must not be cut (it was, as IdleTimeout, with the held bytes counted as sent).
        // (1s was cut once in a clean-clone CI run, while another test starved the thread pool: a pause, not the pump.)
        const int total = 96 << 10;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        await using var edge = TestEdge.Start(listener.LocalEndPoint!.ToString()!, flags: [("bandwidth", "8KiB/s"), ("idle-timeout", "2s")]);
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        var accepted = listener.AcceptAsync();
        var started = Stopwatch.GetTimestamp();
        await client.SendAsync(new byte[total], SocketFlags.None).WithTimeout();
        client.Shutdown(SocketShutdown.Send);
        using var upstream = await accepted.WithTimeout();

        var buffer = new byte[16 << 10];
        long received = 0;
        TimeSpan? burstArrived = null;
        while (true)
        {
            var n = await upstream.ReceiveAsync(buffer, SocketFlags.None).WithTimeout();
            if (n == 0)
            {
                break;
            }

            received += n;
            if (received >= 64 << 10)
            {
                burstArrived ??= Stopwatch.GetElapsedTime(started);
            }
        }

        Assert.Equal(total, received);
        Assert.True(burstArrived < TimeSpan.FromSeconds(3), $"the 64 KiB burst arrived after {burstArrived}");
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(3), $"took {Stopwatch.GetElapsedTime(started)}"); // 32 KiB past the burst at 8 KiB/s.

        // The session then ends cleanly (the backend's FIN too), so the close counted is the transfer's own.
        upstream.Shutdown(SocketShutdown.Send);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
        Assert.Equal(0, edge.Server.Closed[CloseReason.IdleTimeout]);
    }

    private static async Task<bool> EchoesAsync(TestEdge edge, IPAddress from)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, from);
        try
        {
            await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
            var buffer = new byte[1];
            return await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)) == 1;
        }
        catch (SocketException)
        {
            return false; // Closed by the relay: refused.
        }
    }
}
