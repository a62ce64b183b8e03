using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tunnel;

/// <summary>
/// Two real gateway processes, one edge with both (README "Dual gateways and failover"); one gateway is killed
/// (SIGKILL: the kernel closes its sockets) or hung (SIGSTOP: no FIN, only missed pings at --ping-interval 100ms)
/// with sessions open through both. Guards issue 6 item 5: the sessions on the dead gateway are reset promptly and
/// never left hanging, new sessions started right after the kill all succeed (through the survivor: a stream caught
/// on the dead tunnel is retried there), and the pool takes the gateway back when it returns on the same address.
/// </summary>
public sealed class GatewayFailoverProcessTests
{
    private const int OpenSessions = 20;

    [Theory]
    [InlineData("KILL")]
    [InlineData("STOP")]
    public async Task GatewayDiesMidRun_ItsSessionsAreReset_NewSessionsSucceed_AndItComesBack(string signal)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        using var nodes = new TunnelNodes();
        var (a, aEndPoint) = await nodes.StartGatewayAsync("--allow-any-target", "--ping-interval", "250ms");
        var (b, bEndPoint) = await nodes.StartGatewayAsync("--allow-any-target", "--ping-interval", "250ms");
        using var survivor = b;
        var (edge, listen) = await nodes.StartEdgeAsync($"tunnel:{echo.EndPoint}", aEndPoint, "--gateway", bEndPoint.ToString(), "--ping-interval", "250ms");
        using var edgeProcess = edge;
        var admin = await edge.AdminEndPointAsync();
        using var http = new HttpClient();
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await ReadyzAsync(http, admin)).Contains("(2 of 2 reachable)", StringComparison.Ordinal)));

        var sessions = new List<Socket>();
        try
        {
            for (var i = 0; i < OpenSessions; i++)
            {
                sessions.Add(await SocketTestExtensions.ConnectAsync(listen));
                await sessions[^1].SendAsync(new[] { (byte)i }, SocketFlags.None);
                Assert.Equal(i, (await sessions[^1].ReceiveExactlyAsync(1).WithTimeout())[0]);
            }

            a.Signal(signal);

            // New sessions at once, before the edge can know: every one succeeds (retried on the survivor if needed).
            for (var i = 0; i < 20; i++)
            {
                using var client = await SocketTestExtensions.ConnectAsync(listen);
                await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
                Assert.Equal(i, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
            }

            // The sessions on the dead gateway end by themselves (reset; for STOP within the 3 ping intervals, 750 ms):
            // one read pending on each sees that within 5 s; each one on the survivor gets the byte it sends afterwards.
            // Round-robin put some on each. (250 ms pings, not 100 ms: three processes on a loaded machine can pause
            // for 300 ms, and the survivor's tunnels must not be declared dead too.)
            var reads = sessions.Select(ReadOneAsync).ToList();
            await Task.WhenAny(Task.WhenAll(reads), Task.Delay(TimeSpan.FromSeconds(5)));
            var ended = reads.Select(r => r.IsCompleted && r.Result < 0).ToArray();
            Assert.InRange(ended.Count(e => e), 1, OpenSessions - 1);
            for (var i = 0; i < sessions.Count; i++)
            {
                if (!ended[i])
                {
                    await sessions[i].SendAsync(new byte[] { 9 }, SocketFlags.None);
                    Assert.Equal(9, await reads[i].WithTimeout());
                }
            }

            Assert.Contains("(1 of 2 reachable)", await ReadyzAsync(http, admin), StringComparison.Ordinal);
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
            if (signal == "STOP")
            {
                a.Signal("CONT"); // So that it can be killed and reaped.
            }

            a.Signal("KILL");
            await a.WaitForExitAsync();
            a.Dispose();
        }

        // The gateway returns on the same address: the pool redials it (with backoff) and uses it again.
        var (restarted, _) = await nodes.StartGatewayOnAsync(aEndPoint, "--allow-any-target", "--ping-interval", "250ms");
        using var restartedProcess = restarted;
        Assert.True(await TestTimeouts.EventuallyAsync(async () => (await ReadyzAsync(http, admin)).Contains("(2 of 2 reachable)", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30)));
    }

    // /readyz answers 503 while no gateway is reachable: read the body either way.
    private static async Task<string> ReadyzAsync(HttpClient http, IPEndPoint admin) =>
        await (await http.GetAsync($"http://{admin}/readyz")).Content.ReadAsStringAsync();

    // The next byte of the session, or -1 when the edge ended it (FIN or reset).
    private static async Task<int> ReadOneAsync(Socket session)
    {
        var buffer = new byte[1];
        try
        {
            return await session.ReceiveAsync(buffer, SocketFlags.None) == 1 ? buffer[0] : -1;
        }
        catch (SocketException)
        {
            return -1;
        }
    }
}
