using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Balancing;

/// <summary>
/// Equal weights: power-of-two-choices on outstanding sessions. A backend that holds its sessions (slow to
/// answer) gets fewer new ones than one that finishes them.
/// </summary>
public sealed class PowerOfTwoChoicesTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task EqualWeights_SlowBackendHoldingSessions_GetsFewerNewOnes()
    {
        using var slow = new ManualBackend(); // Accepts and never answers: its sessions stay outstanding.
        await using var fast = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var edge = TestEdge.Start($"{slow.Target},{fast.EndPoint}", flags: ("idle-timeout", "0"));
        var held = new List<Socket>();
        var slowAccepts = new List<Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    var accepted = await slow.AcceptAsync();
                    lock (slowAccepts)
                    {
                        slowAccepts.Add(accepted);
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException or TimeoutException)
                {
                    return; // The listener closed at the end of the test (or nobody came for a while).
                }
            }
        });

        try
        {
            // 40 sessions: one that reaches the slow backend is held open (it never answers); one that reaches the
            // fast backend reads its echo and ends, as a short request would.
            for (var i = 0; i < 40; i++)
            {
                var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
                held.Add(client);
                var fastBefore = fast.AcceptedConnections;
                await client.ConnectAsync(edge.EndPoint).WithTimeout();
                await client.SendAsync(new byte[] { 1 }, SocketFlags.None).WithTimeout();
                Assert.True(await TestTimeouts.EventuallyAsync(() => fast.AcceptedConnections + SlowCount() == i + 1), $"session {i} reached a backend");
                if (fast.AcceptedConnections > fastBefore)
                {
                    client.Shutdown(SocketShutdown.Send);
                    var buffer = new byte[4];
                    Assert.Equal(1, await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout());
                    Assert.Equal(0, await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout());
                    held.Remove(client);
                    client.Dispose();
                }

                Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == SlowCount()), "only the slow sessions stay open");
            }

            // With two backends both are always sampled: once the slow one holds a session, every new one goes to the fast one.
            Assert.InRange(SlowCount(), 1, 2);
            Assert.InRange(fast.AcceptedConnections, 38, 39);
            Assert.Equal(SlowCount(), BalancingFixture.Backend(edge.Server, IPEndPoint.Parse(slow.Target))!.Outstanding);
        }
        finally
        {
            held.ForEach(c => c.Dispose());
            lock (slowAccepts)
            {
                slowAccepts.ForEach(s => s.Dispose());
            }

            slow.Dispose();
            await acceptLoop;
        }

        int SlowCount()
        {
            lock (slowAccepts)
            {
                return slowAccepts.Count;
            }
        }
    }
}
