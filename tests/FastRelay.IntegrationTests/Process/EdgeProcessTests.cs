using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// The edge as users run it: a process configured by flags or a file, stopped by a signal. Guards the
/// drain-on-SIGTERM contract that systemd and rolling restarts rely on.
/// </summary>
public sealed class EdgeProcessTests
{
    [Fact]
    public async Task Sigterm_OpenConnectionFinishes_ThenExit0() => await DrainsOnAsync("TERM", FastRelayProcess.Start);

    [Fact]
    public async Task Sigint_DrainDeadline_ClosesConnection_Exit0()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--drain-timeout", "500ms");
        await relay.WaitUntilListeningAsync(listen);
        using var client = await SocketTestExtensions.ConnectAsync(listen);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
        await client.ReceiveExactlyAsync(1);

        relay.Signal("INT");

        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)), $"stdout: {relay.StandardOutput}\nstderr: {relay.StandardError}");
        Assert.Equal(0, await relay.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Sigint_InheritedAsIgnored_StillDrains_Exit0() =>
        // A script's background job (`fastrelay edge ... &`) starts with SIGINT ignored; the relay takes it back, as
        // nginx does, so `kill -INT` drains instead of doing nothing.
        await DrainsOnAsync("INT", FastRelayProcess.StartWithInterruptIgnored);

    // Started by start, signalled: the open connection still relays while the process drains, then it exits 0.
    private static async Task DrainsOnAsync(string signal, Func<string[], FastRelayProcess> start)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = start(["edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--drain-timeout", "20s"]);
        await relay.WaitUntilListeningAsync(listen);
        using var client = await SocketTestExtensions.ConnectAsync(listen);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
        Assert.Equal(1, (await client.ReceiveExactlyAsync(1))[0]);

        relay.Signal(signal);

        // Waited for while the process runs: at exit the console logger's queue gets only a bounded flush.
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("draining 1 open connections", StringComparison.Ordinal)), relay.StandardOutput);

        // Draining: the open connection still works; the process waits for it.
        await client.SendAsync(new byte[] { 2 }, SocketFlags.None);
        Assert.Equal(2, (await client.ReceiveExactlyAsync(1))[0]);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
        Assert.Equal(0, await relay.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ConfigFile_Applies_AndCommandLineWins()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");

        // The file routes to a port that refuses; the command line's --route replaces it.
        await File.WriteAllTextAsync(path, $$"""{ "listen": ["echo@{{listen}}"], "route": ["echo={{FaultyListeners.RefusingEndPoint()}}"], "log-level": "warning", "idleTimeout": "1m" }""");
        try
        {
            using var relay = FastRelayProcess.Start("edge", "--config", path, "--route", $"echo={echo.EndPoint}");
            await relay.WaitUntilListeningAsync(listen);
            using var client = await SocketTestExtensions.ConnectAsync(listen);
            await client.SendAsync(new byte[] { 9 }, SocketFlags.None);
            Assert.Equal(9, (await client.ReceiveExactlyAsync(1))[0]);
            Assert.DoesNotContain("info:", relay.StandardOutput, StringComparison.Ordinal); // log-level from the file.
            relay.Signal("TERM");
            client.Dispose();
            Assert.Equal(0, await relay.WaitForExitAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ListenAddressInUse_Exit1_OneLineReason()
    {
        using var taken = LoopbackPorts.Occupy();
        var address = (IPEndPoint)taken.LocalEndPoint!;

        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", address.ToString(), "--route", "a=127.0.0.1:9");

        Assert.Equal(1, await relay.WaitForExitAsync());
        Assert.Equal($"fastrelay: listener {address} for service 'a' is already in use", relay.StandardError.Trim());
    }

    [Fact]
    public async Task ASecondEdgeOnTheSamePort_Exit1_TheFirstServesOn()
    {
        // No SO_REUSEPORT: a second edge started on a port by mistake must not bind and take half the clients.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var first = FastRelayProcess.Start("edge", "--listen", $"a@{listen}", "--route", $"a={echo.EndPoint}", "--admin", "off", "--audit", "off");
        await first.WaitUntilListeningAsync(listen);

        using var second = await FastRelayProcess.RunAsync("edge", "--listen", $"a@{listen}", "--route", $"a={echo.EndPoint}", "--admin", "off", "--audit", "off");

        Assert.Equal(1, await second.WaitForExitAsync());
        Assert.Equal($"fastrelay: listener {listen} for service 'a' is already in use", second.StandardError.Trim());
        Assert.True(await Operating.AdminProcessTests.CanEchoFromAsync(listen, "127.0.0.1"));
        first.Signal("TERM");
        Assert.True(await first.WaitForExitAsync() == 0, $"stdout: {first.StandardOutput}\nstderr: {first.StandardError}");
    }

    [Fact]
    public async Task Demo_PushesTrafficThroughTheEdge_Exit0()
    {
        using var demo = await FastRelayProcess.RunAsync("demo", "--sessions", "20", "--duration", "1s", "--bulk-size", "32MiB");
        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("demo: OK", demo.StandardOutput, StringComparison.Ordinal);
    }
}
