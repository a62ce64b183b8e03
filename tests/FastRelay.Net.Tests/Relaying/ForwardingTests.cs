using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>Bytes arrive exactly, in order, at volume and with many sessions at once.</summary>
public sealed class ForwardingTests
{
    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task Forward256MiB_BothWaysThroughEcho_HashesMatch(string dataPath)
    {
        const int total = 256 << 20;
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);

        // Send and receive concurrently (echo back-pressure would otherwise deadlock both sides).
        var sender = Task.Run(async () =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var chunk = new byte[1 << 20];
            var random = new Random(42);
            for (var sent = 0; sent < total; sent += chunk.Length)
            {
                random.NextBytes(chunk);
                hash.AppendData(chunk);
                await client.SendAsync(chunk, SocketFlags.None);
            }

            client.Shutdown(SocketShutdown.Send);
            return Convert.ToHexString(hash.GetHashAndReset());
        });
        var receiver = Task.Run(async () =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long received = 0;
            int n;
            while ((n = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                received += n;
            }

            return (Convert.ToHexString(hash.GetHashAndReset()), received);
        });

        var sentHash = await sender.WithTimeout();
        var (receivedHash, receivedBytes) = await receiver.WithTimeout();
        Assert.Equal(total, receivedBytes);
        Assert.Equal(sentHash, receivedHash);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task ThousandConcurrentSessions_EachEchoesItsOwnBytes(string dataPath)
    {
        const int sessions = 1000;
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString(), flags: ("data-path", dataPath));

        var clients = new Socket[sessions];
        for (var i = 0; i < sessions; i++)
        {
            // Spread sources over 127.0.0.2.. so no single address pair runs short of ports.
            clients[i] = await SocketTestExtensions.ConnectAsync(edge.EndPoint, new IPAddress([127, 0, 0, (byte)(2 + (i % 200))]));
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == sessions));
        var exchanges = clients.Select(async (socket, i) =>
        {
            for (var round = 0; round < 5; round++)
            {
                var message = SocketTestExtensions.RandomBytes(256, seed: (i * 10) + round);
                await socket.SendAsync(message, SocketFlags.None);
                Assert.Equal(message, await socket.ReceiveExactlyAsync(message.Length));
            }

            socket.Shutdown(SocketShutdown.Send);
            Assert.Empty(await socket.ReceiveToEndAsync());
            socket.Dispose();
        });
        await Task.WhenAll(exchanges).WithTimeout();

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == sessions));
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task UpstreamClosesRightAfterLargeWrite_SlowClientStillGetsEveryByte(string dataPath)
    {
        // Pipelines.Sockets.Unofficial's trap: disposing right after the last write drops what is unsent.
        using var backend = new ManualBackend();
        await using var edge = TestEdge.Start(backend.Target, flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        var payload = SocketTestExtensions.RandomBytes(32 << 20, seed: 3);
        client.Shutdown(SocketShutdown.Send);
        var reading = ReadSlowlyAsync(client);
        using (var upstream = await backend.AcceptAsync())
        {
            // Write everything, FIN, close at once: most of the 32 MiB are still inside the relay then.
            await upstream.SendAsync(payload, SocketFlags.None).WithTimeout();
            upstream.Shutdown(SocketShutdown.Send);
        }

        Assert.Equal(SocketTestExtensions.Sha256(payload), SocketTestExtensions.Sha256(await reading.WithTimeout()));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    private static async Task<byte[]> ReadSlowlyAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            all.Write(buffer, 0, n);
            await Task.Delay(1); // A slow reader: the relay must hold what it could not send yet.
        }

        return all.ToArray();
    }
}
