using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// Out of file descriptors, the accept loop backs off instead of spinning (ghostunnel's acceptBackoff,
/// wireguard-go's deathSpiral), dials that cannot get a socket are ordinary failures, and the relay
/// serves again once descriptors are free. Guards STYLE H5.6: accept loops never spin.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    [Fact]
    public async Task OutOfDescriptors_AcceptBacksOffWithoutSpinning_ThenRecovers()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.StartWithFileLimit(160, "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--log-level", "warning");
        await relay.WaitUntilListeningAsync(listen);

        // Far more clients than descriptors: the kernel completes their handshakes into the backlog.
        var clients = new List<Socket>();
        for (var i = 0; i < 150; i++)
        {
            clients.Add(await SocketTestExtensions.ConnectAsync(listen, new IPAddress([127, 0, 0, (byte)(2 + (i % 100))])));
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("TooManyOpenSockets", StringComparison.Ordinal)),
            $"the relay never ran out of descriptors: {relay.StandardOutput}");

        // While starved, the process must be nearly idle: a spinning accept loop would burn a whole core.
        var before = relay.CpuTime();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var used = relay.CpuTime() - before;
        Assert.True(used < TimeSpan.FromSeconds(0.6), $"the relay used {used.TotalMilliseconds:0} ms of CPU in 2 s while out of descriptors");

        clients.ForEach(c => c.Dispose());

        // Descriptors are back: a new client is served end to end.
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            try
            {
                using var client = SocketTestExtensions.ConnectAsync(listen).GetAwaiter().GetResult();
                client.Send([42]);
                client.ReceiveTimeout = 2000;
                var buffer = new byte[1];
                return client.Receive(buffer) == 1 && buffer[0] == 42;
            }
            catch (SocketException)
            {
                return false;
            }
        }), "the relay did not recover once descriptors were free");

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }
}
