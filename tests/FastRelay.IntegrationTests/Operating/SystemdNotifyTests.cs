using System.Net;
using System.Net.Sockets;
using System.Text;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Operating;

/// <summary>
/// sd_notify for <c>Type=notify</c> units (tools/fastrelay.service), against a fake NOTIFY_SOCKET: READY=1
/// only once the listeners accept, STOPPING=1 when the drain starts; a path and an abstract name.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Notify_ReadyAfterListening_StoppingOnSigterm(bool abstractName)
    {
        var name = $"fastrelay-notify-{Guid.NewGuid():N}";
        var (address, notifySocket) = abstractName ? ("\0" + name, "@" + name) : (Path.Combine(Path.GetTempPath(), name), Path.Combine(Path.GetTempPath(), name));
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(address));
        try
        {
            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
            var listen = FastRelayProcess.FreeEndPoint();
            using var relay = FastRelayProcess.StartWithEnvironment(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifySocket },
                "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}");

            var ready = await ReceiveAsync(systemd);
            Assert.Contains("READY=1", ready, StringComparison.Ordinal);
            Assert.Contains($"MAINPID={relay.Id}", ready, StringComparison.Ordinal);

            // Ready means accepting: a connection right after the notification is served.
            Assert.True(await AdminProcessTests.CanEchoFromAsync(listen, "127.0.0.1"));

            relay.Signal("TERM");
            Assert.Contains("STOPPING=1", await ReceiveAsync(systemd), StringComparison.Ordinal);
            Assert.Equal(0, await relay.WaitForExitAsync());
        }
        finally
        {
            if (!abstractName)
            {
                File.Delete(address);
            }
        }
    }

    [Fact]
    public async Task NotifySocketMissing_WarnsAndServes()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.StartWithEnvironment(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/nonexistent/notify" },
            "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}");
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("Could not notify systemd", StringComparison.Ordinal)), relay.StandardOutput);
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TestTimeouts.Default);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
