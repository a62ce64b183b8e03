using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;

namespace FastRelay.Net.Tests.Tunnel.Gateway;

/// <summary>
/// Slowloris against a real <see cref="FastRelay.Gateway.GatewayServer"/> on loopback (PROTOCOL.md "Hostile input":
/// "nothing within 5 s (at any handshake stage)"): a client that connects and stays silent, or stops after the
/// preamble, is closed by the handshake timeout; while many of them hold their slots a real edge still connects
/// and relays.
/// </summary>
public sealed class GatewayHandshakeTimeoutTests
{
    [Theory]
    [InlineData(0)] // Connects and sends nothing.
    [InlineData(8)] // Sends the preamble, then nothing (waiting for msg1).
    public async Task Handshake_PeerStallsBeforeMsg1_IsClosedByTheTimeout(int preambleBytes)
    {
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var clock = Stopwatch.StartNew(); // Before the connect: the gateway's timer starts at its accept, maybe before this thread runs on.
        await silent.ConnectAsync(gateway.EndPoint);
        if (preambleBytes > 0)
        {
            var preamble = new byte[FastRelay.Tunnel.Noise.TunnelPreamble.Size];
            FastRelay.Tunnel.Noise.TunnelPreamble.Write(preamble);
            await silent.SendAsync(preamble);
        }

        var closed = await ReadUntilClosedAsync(silent).WaitAsync(TunnelHandshake.DefaultTimeout + TimeSpan.FromSeconds(10));

        Assert.True(closed, "the gateway sent bytes to a silent client");
        Assert.True(clock.Elapsed >= TunnelHandshake.DefaultTimeout - TimeSpan.FromMilliseconds(500),
            $"closed after {clock.Elapsed.TotalSeconds:0.0} s, before the {TunnelHandshake.DefaultTimeout.TotalSeconds} s timeout");
        Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.HandshakesFailed == 1 && gateway.Stats.Handshaking == 0));
    }

    [Fact]
    public async Task Handshake_ManySilentClients_DoNotBlockARealEdge_AndAreAllClosed()
    {
        const int SilentClients = 100; // Below the fixture's 128 handshakes in flight: they hold slots, none is refused.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var gateway = tunnel.StartGateway();
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < SilentClients; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{2 + i}"), 0));
                await socket.ConnectAsync(gateway.EndPoint);
                silent.Add(socket);
            }

            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == SilentClients));

            // A real edge from 127.0.0.1 completes its handshake and relays while every silent client still holds its slot.
            var pool = tunnel.StartPool([gateway.EndPoint], prewarm: 1);
            Assert.Equal([1, 2, 3], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [1, 2, 3]).WithTimeout());
            Assert.Equal(1, gateway.Stats.Handshakes);
            Assert.True(gateway.Stats.Handshaking >= SilentClients - 5, $"only {gateway.Stats.Handshaking} silent clients were still handshaking"); // The echo beat their timeout.

            // Then the timeout closes every silent one.
            var closed = await Task.WhenAll(silent.Select(ReadUntilClosedAsync)).WaitAsync(TunnelHandshake.DefaultTimeout + TimeSpan.FromSeconds(15));
            Assert.All(closed, Assert.True);
            Assert.True(await TestTimeouts.EventuallyAsync(() => gateway.Stats.Handshaking == 0 && gateway.Stats.HandshakesFailed == SilentClients));
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    /// <summary>True when the peer closed (EOF or reset) without sending a byte.</summary>
    private static async Task<bool> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[64];
        try
        {
            return await socket.ReceiveAsync(buffer) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }
}
