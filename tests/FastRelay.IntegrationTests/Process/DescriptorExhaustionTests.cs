using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// A low open-file limit must not kill the relay: it caps its connections to fit (and says so), refuses
/// the rest cleanly, never spins, and serves again once clients leave. Before the cap, 150 clients
/// against <c>prlimit --nofile=160</c> ended the process with the runtime's "Out of memory" (its code
/// double-mapping needs descriptors too). Guards STYLE H5.6: accept loops never spin.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    [Fact]
    public async Task LowFileLimit_CapsConnections_RefusesCleanly_NoSpin_Recovers()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.StartWithFileLimit(160, "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--log-level", "warning",
            "--admin", "off"); // Kestrel's assemblies alone hold ~45 descriptors: 160 is for the relay path.
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("serving at most", StringComparison.Ordinal)),
            $"no warning about the descriptor limit: {relay.StandardOutput}");

        var clients = new List<Socket>();
        for (var i = 0; i < 150; i++)
        {
            clients.Add(await SocketTestExtensions.ConnectAsync(listen, new IPAddress([127, 0, 0, (byte)(2 + (i % 100))])));
        }

        // The clients over the cap are closed at once (EOF), not left hanging in the backlog.
        Assert.True(await clients[^1].IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));

        var before = relay.CpuTime();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var used = relay.CpuTime() - before;
        Assert.True(used < TimeSpan.FromSeconds(0.6), $"the relay used {used.TotalMilliseconds:0} ms of CPU in 2 s at its limit");

        clients.ForEach(c => c.Dispose());
        Assert.True(await TestTimeouts.EventuallyAsync(() => TryEcho(listen)), $"the relay did not serve again: {relay.StandardOutput}");

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    private static bool TryEcho(IPEndPoint listen)
    {
        try
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2000, SendTimeout = 2000 };
            client.Connect(listen);
            client.Send([42]);
            var buffer = new byte[1];
            return client.Receive(buffer) == 1 && buffer[0] == 42;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
