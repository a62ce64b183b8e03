using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Net.Tests.Tls;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Hostile;

/// <summary>
/// Idle connections hold no buffer block: after their traffic, every block rented from the edge's pool is
/// back in it while the connections stay open (the receive loops wait with a zero-byte read before renting).
/// What keeps an edge with thousands of idle clients at ~10 KiB each instead of 64 KiB or more
/// (bench/README.md, "Hostile input and memory").
/// </summary>
/// <remarks>
/// Counted against the blocks held before the first connection: each epoll loop keeps a read block for its whole life
/// (one per core), which an exact "no block held" bound would count. Once, under the full suite's load, a pipes-path
/// connection kept one: a zero-byte receive woken by a stale epoll event rented a block and parked the real read on it
/// (SocketOperation.WaitForDataAsync); the pipes case below is the plain path that had it.
/// </remarks>
public sealed class IdleBufferTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("pipes")]
    public async Task PlainEdge_300IdleConnectionsAfterTraffic_HoldNoBlock(string dataPath)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: ("data-path", dataPath));
        var pool = edge.Server.Memory;
        var heldBefore = pool.BlocksCreated - pool.IdleBlocks; // The epoll loops' own read blocks.
        var payload = SocketTestExtensions.RandomBytes(4096, seed: 9);
        var clients = new List<Socket>();
        for (var i = 0; i < 300; i++)
        {
            var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
            for (var part = 0; part < payload.Length; part += 512)
            {
                // In segments: bytes that arrive while a receive loop runs leave it a stale readiness event.
                await client.SendAsync(payload.AsMemory(part, 512), SocketFlags.None);
            }

            Assert.Equal(payload, await client.ReceiveExactlyAsync(payload.Length));
            clients.Add(client);
        }

        Assert.True(pool.BlocksCreated > 0);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.BlocksCreated - pool.IdleBlocks <= heldBefore, TimeSpan.FromSeconds(10)),
            $"{pool.BlocksCreated - pool.IdleBlocks - heldBefore} of {pool.BlocksCreated} blocks still held by 300 idle connections");
        Assert.Equal(300, edge.Server.ActiveConnections);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task TlsEdge_ClientsThatSentExactlyOneFullRecord_HoldNoBlock()
    {
        // A full 16 KiB record makes more data likely; the receive loop then skipped its zero-byte wait and parked the
        // next read on a rented 64 KiB block, for as long as the client stayed quiet.
        var pki = fixture.Pki;
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(pki, echo.EndPoint.ToString());
        var pool = edge.Server.Memory;
        var heldBefore = pool.BlocksCreated - pool.IdleBlocks;
        var payload = SocketTestExtensions.RandomBytes(16 * 1024, seed: 11);
        var clients = new List<System.Net.Security.SslStream>();
        for (var i = 0; i < 20; i++)
        {
            var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, pki, pki.Client);
            await tls.WriteAsync(payload); // One write of 16 KiB: one full record.
            var back = new byte[payload.Length];
            await tls.ReadExactlyAsync(back).AsTask().WithTimeout();
            clients.Add(tls);
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.BlocksCreated - pool.IdleBlocks <= heldBefore, TimeSpan.FromSeconds(10)),
            $"{pool.BlocksCreated - pool.IdleBlocks - heldBefore} of {pool.BlocksCreated} blocks still held by 20 quiet TLS clients");
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task TlsEdge_100IdleConnectionsAfterTraffic_HoldNoBlock()
    {
        var pki = fixture.Pki;
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(pki, echo.EndPoint.ToString());
        var pool = edge.Server.Memory;
        var heldBefore = pool.BlocksCreated - pool.IdleBlocks;
        var payload = SocketTestExtensions.RandomBytes(4096, seed: 10);
        var clients = new List<System.Net.Security.SslStream>();
        for (var i = 0; i < 100; i++)
        {
            var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, pki, pki.Client);
            for (var part = 0; part < payload.Length; part += 512)
            {
                await tls.WriteAsync(payload.AsMemory(part, 512)); // A record each, as above.
            }

            var back = new byte[payload.Length];
            await tls.ReadExactlyAsync(back).AsTask().WithTimeout();
            Assert.Equal(payload, back);
            clients.Add(tls);
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.BlocksCreated - pool.IdleBlocks <= heldBefore, TimeSpan.FromSeconds(10)),
            $"{pool.BlocksCreated - pool.IdleBlocks - heldBefore} of {pool.BlocksCreated} blocks still held by 100 idle TLS connections");
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }
}
