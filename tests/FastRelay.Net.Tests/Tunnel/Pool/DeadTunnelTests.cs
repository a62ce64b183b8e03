using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// An edge with two gateways, sessions open through both; one gateway dies, either at once (killed: its sockets are
/// reset) or silently (hung: only missed pings tell). Guards issue 6 item 5: the sessions on the dead tunnel are
/// reset promptly (never left hanging), the others carry on, and every new session goes through the survivor.
/// </summary>
public sealed class DeadTunnelTests
{
    private const int OpenSessions = 20;
    // 250 ms: dead after 750 ms of silence. Not 100 ms: a loaded machine's 300 ms pause would kill the survivor's tunnels too.
    private static readonly TimeSpan Ping = TimeSpan.FromMilliseconds(250);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GatewayDies_ItsSessionsAreResetPromptly_NewSessionsUseTheSurvivor(bool killed)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var a = tunnel.StartGateway(pingInterval: Ping);
        var b = tunnel.StartGateway(pingInterval: Ping);
        await using var path = new FreezableProxy(a.EndPoint);
        var pool = tunnel.StartPool([path.EndPoint, b.EndPoint], prewarm: 2, pingInterval: Ping);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 2)));
        await using var edge = StartEdge($"tunnel:{echo.EndPoint}", pool);

        var sessions = new List<Socket>();
        for (var i = 0; i < OpenSessions; i++)
        {
            var client = await SocketTestExtensions.ConnectAsync(edge.EndPoints[0]);
            sessions.Add(client);
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(i, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        }

        var onDead = (int)a.Stats.StreamsAccepted;
        Assert.True(onDead > 0 && onDead < OpenSessions, $"sessions were not spread over both gateways: {onDead} of {OpenSessions} on the first");

        // Killed: the sockets are reset (FIN/RST detection); hung: nothing more arrives (3 pings of 250 ms).
        if (killed)
        {
            path.Cut();
        }
        else
        {
            path.Freeze();
        }

        // One read pending on each: a session on the dead gateway sees its end (0 bytes or a reset) within 5 s; each one
        // on the survivor gets the byte it sends afterwards.
        var reads = sessions.Select(ReadOneAsync).ToList();
        await Task.WhenAny(Task.WhenAll(reads), Task.Delay(TimeSpan.FromSeconds(5)));
        var ended = reads.Select(r => r.IsCompleted && r.Result < 0).ToArray();
        Assert.Equal(onDead, ended.Count(e => e));
        for (var i = 0; i < sessions.Count; i++)
        {
            if (!ended[i])
            {
                await sessions[i].SendAsync(new byte[] { 7 }, SocketFlags.None);
                Assert.Equal(7, await reads[i].WithTimeout());
            }
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Closed[CloseReason.UpstreamReset] == onDead),
            $"close reasons: {string.Join(", ", Enum.GetValues<CloseReason>().Select(r => $"{r}={edge.Closed[r]}"))}");

        // New sessions right away: every one succeeds, through the survivor.
        for (var i = 0; i < 20; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoints[0]);
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(i, (await client.ReceiveExactlyAsync(1).WithTimeout())[0]);
        }

        Assert.Equal(onDead, (int)a.Stats.StreamsAccepted);
        sessions.ForEach(s => s.Dispose());
    }

    private static EdgeServer StartEdge(string targets, FastRelay.Tunnel.Pool.TunnelPool pool)
    {
        var options = EdgeOptionsReader.Read(
        [
            new("listen", "svc@127.0.0.1:0", "test"), new("route", "svc=" + targets, "test"),
            new("gateway", "127.0.0.1:1", "test"), new("tunnel-key", "(in memory)", "test"),
            new("gateway-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test"),
        ]);
        return EdgeServer.Start(options, TestLogging.Factory, TimeProvider.System, dialer: null, policy: null, new RecordingObserver(), tunnel: pool);
    }

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
