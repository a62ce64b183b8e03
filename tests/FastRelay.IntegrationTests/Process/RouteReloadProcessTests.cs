using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Process;

/// <summary>
/// Weights change with a config reload (issue 6): the routes of <c>--config FILE</c> are re-read on SIGHUP and
/// POST /reload and swapped in for new sessions; a bad file keeps the running routes and says why. The backend
/// state is exported in /metrics and /status.
/// </summary>
public sealed class RouteReloadProcessTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"fastrelay-routes-{Guid.NewGuid():N}.json");

    [Fact]
    public async Task ConfigReload_NewWeights_NewSessionsFollowThem_BadFileKeepsThem()
    {
        await using var stable = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var canary = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        await WriteConfigAsync(listen, $"crm={stable.EndPoint};weight=4,{canary.EndPoint};weight=1");
        using var relay = FastRelayProcess.Start("edge", "--config", _config, "--admin", "127.0.0.1:0", "--audit", "off");
        var admin = await relay.AdminActionsEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);

        Assert.InRange(await CanarySessionsAsync(listen, canary, 100), 10, 30);

        // The canary becomes the main backend: 1 to 4, through SIGHUP.
        await WriteConfigAsync(listen, $"crm={stable.EndPoint};weight=1,{canary.EndPoint};weight=4");
        relay.Signal("HUP");
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("Routes version 2 in force", StringComparison.Ordinal)), relay.StandardOutput);
        Assert.InRange(await CanarySessionsAsync(listen, canary, 100), 70, 90);

        // A bad file: refused with the reason, the running routes stay (POST /reload says so too).
        await File.WriteAllTextAsync(_config, $$"""{"listen": ["crm@{{listen}}"], "route": ["crm={{stable.EndPoint}};weight=0"]}""");
        var reload = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
        var body = await reload.Content.ReadAsStringAsync();
        Assert.Contains("weight=N with N from 1 to 100", body, StringComparison.Ordinal);
        Assert.Contains("the running routes stay", body, StringComparison.Ordinal);
        Assert.InRange(await CanarySessionsAsync(listen, canary, 100), 70, 90);

        var metrics = await Http.GetStringAsync(new Uri($"http://{admin}/metrics"));
        Assert.Contains($"fastrelay_backend_healthy{{service=\"crm\",backend=\"{canary.EndPoint}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("fastrelay_backend_outstanding{", metrics, StringComparison.Ordinal);
        Assert.Contains("fastrelay_backend_ejections_total{", metrics, StringComparison.Ordinal);
        var status = await Http.GetStringAsync(new Uri($"http://{admin}/status"));
        Assert.Contains($"\"backend\": \"{canary.EndPoint}\"", status, StringComparison.Ordinal);
        Assert.Contains($"\"{canary.EndPoint};weight=4\"", status, StringComparison.Ordinal);

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    public void Dispose() => File.Delete(_config);

    private Task WriteConfigAsync(IPEndPoint listen, string route) =>
        File.WriteAllTextAsync(_config, $$"""{"listen": ["crm@{{listen}}"], "route": ["{{route}}"]}""");

    // Sessions one after another (each ends before the next starts, with a short pause for the edge to close its side).
    private static async Task<long> CanarySessionsAsync(IPEndPoint listen, LoopbackBackend canary, int sessions)
    {
        var before = canary.AcceptedConnections;
        for (var i = 0; i < sessions; i++)
        {
            using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listen).WithTimeout();
            await client.SendAsync(new byte[] { 7 }, SocketFlags.None).WithTimeout();
            client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4];
            Assert.Equal(1, await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout());
            Assert.Equal(0, await client.ReceiveAsync(buffer, SocketFlags.None).WithTimeout());
            client.Close();
            await Task.Delay(5);
        }

        return canary.AcceptedConnections - before;
    }
}
