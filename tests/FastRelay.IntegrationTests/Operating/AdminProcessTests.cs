using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Operating;

/// <summary>
/// <c>--admin</c> as operators and Prometheus use it, on the real process: /metrics moves with the
/// traffic, /healthz, /readyz and /status say what runs, POST /reload and /drain act, <c>off</c> and a
/// taken port behave as documented (README, "Operating").
/// </summary>
public sealed class AdminProcessTests : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _policy = Path.Combine(Path.GetTempPath(), $"fastrelay-admin-policy-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_policy);

    [Fact]
    public async Task Metrics_MoveWithTraffic_HealthReadyStatusDescribeTheEdge()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}");
        var admin = await relay.AdminEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);

        // The readiness probe's connection is counted once the edge has accepted it, which may come after the probe's
        // connect returned: wait for it, so that it is in the "before" count and not in the 20 below.
        Assert.True(await TestTimeouts.EventuallyAsync(async () =>
            Value((await GetAsync(admin, "/metrics")).Body, "fastrelay_connections_accepted_total{service=\"echo\"}") >= 1));
        var before = await GetAsync(admin, "/metrics");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.StartsWith("text/plain; version=0.0.4", before.ContentType, StringComparison.Ordinal);
        var acceptedBefore = Value(before.Body, "fastrelay_connections_accepted_total{service=\"echo\"}");

        for (var i = 0; i < 20; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(listen);
            await client.SendAsync(new byte[100], SocketFlags.None);
            await client.ReceiveExactlyAsync(100);
            client.Shutdown(SocketShutdown.Send);
            Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        }

        string after = "";
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            after = GetAsync(admin, "/metrics").GetAwaiter().GetResult().Body;
            return Value(after, "fastrelay_connections_closed_total{reason=\"Completed\"}") >= 20;
        }), after);
        Assert.Equal(acceptedBefore + 20, Value(after, "fastrelay_connections_accepted_total{service=\"echo\"}"));
        Assert.True(Value(after, "fastrelay_relayed_bytes_total{direction=\"upstream_to_client\"}") >= 2000);
        Assert.True(Value(after, "fastrelay_session_duration_seconds_count{service=\"echo\"}") >= 20);

        Assert.Equal((HttpStatusCode.OK, "ok\n"), await StatusAndBodyAsync(admin, "/healthz"));
        var ready = await GetAsync(admin, "/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Contains("listeners: ready", ready.Body, StringComparison.Ordinal);

        using var status = JsonDocument.Parse((await GetAsync(admin, "/status")).Body);
        var root = status.RootElement;
        Assert.Equal("0.1.0", root.GetProperty("version").GetString());
        Assert.Equal("running", root.GetProperty("state").GetString());
        Assert.Equal(relay.Id, root.GetProperty("pid").GetInt32());
        Assert.True(root.GetProperty("uptimeSeconds").GetDouble() > 0);
        Assert.Equal(admin.ToString(), root.GetProperty("admin").GetString());
        Assert.Equal(listen.ToString(), root.GetProperty("listeners")[0].GetProperty("address").GetString());
        Assert.Equal("echo", root.GetProperty("routes")[0].GetProperty("service").GetString());
        Assert.Equal(echo.EndPoint.ToString(), root.GetProperty("routes")[0].GetProperty("targets")[0].GetString());
        Assert.Equal(0, root.GetProperty("gateways").GetArrayLength());
        Assert.Equal(0, root.GetProperty("certificates").GetArrayLength());
        Assert.False(root.GetProperty("policy").GetProperty("filtering").GetBoolean());
        Assert.True(root.GetProperty("readiness")[0].GetProperty("ready").GetBoolean());

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Http.PostAsync(new Uri($"http://{admin}/metrics"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(admin, "/nope")).Status);
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task PostReload_PolicyChangeTakesEffect_BadVersionIs422()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await File.WriteAllTextAsync(_policy, Policy("127.0.0.2/32"));
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", _policy);
        var admin = await relay.AdminActionsEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);
        Assert.False(await CanEchoFromAsync(listen, "127.0.0.3"));

        await File.WriteAllTextAsync(_policy, Policy("127.0.0.0/8"));
        var reload = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        using (var body = JsonDocument.Parse(await reload.Content.ReadAsStringAsync()))
        {
            Assert.True(body.RootElement.GetProperty("reloaded").GetBoolean());
            var messages = body.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetString()!).ToList();
            Assert.Contains(messages, m => m.StartsWith("config: valid, unchanged", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.StartsWith("policy ", StringComparison.Ordinal) && m.Contains("installed", StringComparison.Ordinal));
        }

        Assert.True(await CanEchoFromAsync(listen, "127.0.0.3"));
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("reloaded (POST /reload)", StringComparison.Ordinal)), relay.StandardOutput);
        using (var status = JsonDocument.Parse((await GetAsync(admin, "/status")).Body))
        {
            Assert.True(status.RootElement.GetProperty("policy").GetProperty("version").GetInt32() >= 2);
        }

        var metrics = (await GetAsync(admin, "/metrics")).Body;
        Assert.True(Value(metrics, "fastrelay_decisions_total{checkpoint=\"Inbound\",group=\"\",rule=\"default-deny\",verdict=\"deny\"}") >= 1, metrics);
        Assert.True(Value(metrics, "fastrelay_decisions_total{checkpoint=\"Inbound\",group=\"Desk\",rule=\"0\",verdict=\"allow\"}") >= 1, metrics);

        await File.WriteAllTextAsync(_policy, """{"SecurityGroups": [{"Name": "G", "Rules": [{"SourceIP": "nope", "Action": "Allow"}]}]}""");
        var refused = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var refusal = await refused.Content.ReadAsStringAsync();
        Assert.Contains("\"reloaded\":false", refusal, StringComparison.Ordinal);
        Assert.Contains("SourceIP", refusal, StringComparison.Ordinal); // The error itself, not only "see the log".
        Assert.Contains("nope", refusal, StringComparison.Ordinal);
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.3")); // The running policy stays.
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task PostReload_ConfigFile_ValidatedAgain_ChangesNamed_ErrorsAre422()
    {
        var config = _policy + ".edge.json";
        try
        {
            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
            var listen = FastRelayProcess.FreeEndPoint();
            await File.WriteAllTextAsync(config, $$"""{"listen": ["echo@{{listen}}"], "route": ["echo={{echo.EndPoint}}"], "idle-timeout": "5m"}""");
            using var relay = FastRelayProcess.Start("edge", "--config", config);
            var admin = await relay.AdminActionsEndPointAsync();

            await File.WriteAllTextAsync(config, $$"""{"listen": ["echo@{{listen}}"], "route": ["echo={{echo.EndPoint}}"], "idle-timeout": "7m", "max-connections-per-source": "50", "audit": "off"}""");
            var changed = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.Contains("idle-timeout, max-connections-per-source, audit changed and take effect on a restart", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // A file path the running edge does not use is checked as a restart would check it (its contents are the policy
            // step's business only once it runs on it).
            var missing = Path.Combine(Path.GetTempPath(), $"fastrelay-missing-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(config, $$"""{"listen": ["echo@{{listen}}"], "route": ["echo={{echo.EndPoint}}"], "policy": "{{missing}}"}""");
            var newPath = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, newPath.StatusCode);
            Assert.Contains(missing, await newPath.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            await File.WriteAllTextAsync(config, """{"listen": ["nowhere"], "route": ["echo=127.0.0.1:9"]}""");
            var bad = await Http.PostAsync(new Uri($"http://{admin}/reload"), null);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            Assert.Contains("'nowhere'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.True(await CanEchoFromAsync(listen, "127.0.0.1")); // Still serving as before.
            relay.Signal("TERM");
            Assert.Equal(0, await relay.WaitForExitAsync());
            Assert.Contains("Reload (POST /reload) incomplete: config: ", relay.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task PostDrain_NotReady_OpenConnectionFinishes_Exit0()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--drain-timeout", "20s");
        var admin = await relay.AdminActionsEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);
        using var client = await SocketTestExtensions.ConnectAsync(listen);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);
        await client.ReceiveExactlyAsync(1);

        var drain = await Http.PostAsync(new Uri($"http://{admin}/drain"), null);
        Assert.Equal(HttpStatusCode.Accepted, drain.StatusCode);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("draining 1 open connections", StringComparison.Ordinal)), relay.StandardOutput);

        // Draining: not ready (load balancers move away), the open connection still works.
        var ready = await GetAsync(admin, "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Contains("draining", ready.Body, StringComparison.Ordinal);
        await client.SendAsync(new byte[] { 2 }, SocketFlags.None);
        Assert.Equal(2, (await client.ReceiveExactlyAsync(1))[0]);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());

        Assert.Equal(0, await relay.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("Drain requested (POST /drain)", relay.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminOff_NoEndpoint_StillRelays()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--admin", "off");
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.1"));
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.DoesNotContain("Admin endpoint", relay.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminAddressInUse_Exit1_OneLineReason()
    {
        using var taken = LoopbackPorts.Occupy();
        var address = (IPEndPoint)taken.LocalEndPoint!;
        var listen = FastRelayProcess.FreeEndPoint();

        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", listen.ToString(), "--route", "a=127.0.0.1:9", "--admin", address.ToString());

        Assert.Equal(1, await relay.WaitForExitAsync());
        Assert.Equal($"fastrelay: admin endpoint {address} (--admin) is already in use; choose another with --admin ADDR:PORT, or --admin off", relay.StandardError.Trim());
    }

    [Fact]
    public async Task AdminAddressNotOfThisMachine_Exit1_NamedAsSuch()
    {
        if (File.Exists("/proc/sys/net/ipv4/ip_nonlocal_bind") && (await File.ReadAllTextAsync("/proc/sys/net/ipv4/ip_nonlocal_bind")).Trim() == "1")
        {
            return; // This host lets a process bind any address: there is no failure to name.
        }

        var listen = FastRelayProcess.FreeEndPoint();

        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no machine has it.
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", listen.ToString(), "--route", "a=127.0.0.1:9", "--admin", "192.0.2.1:9901");

        Assert.Equal(1, await relay.WaitForExitAsync());
        Assert.Equal("fastrelay: admin endpoint 192.0.2.1:9901 (--admin) is not an address of this machine; choose another with --admin ADDR:PORT, or --admin off", relay.StandardError.Trim());
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("localhost:9901")]
    public async Task AdminBadValue_Exit2_NamesTheFlag(string value)
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:9", "--admin", value);
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains($"--admin '{value}': expected ADDR:PORT", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonLogs_EveryConnectionLineCarriesConnectionId()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await File.WriteAllTextAsync(_policy, Policy("127.0.0.2/32"));
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", _policy,
            "--log-format", "json", "--log-level", "debug");
        await relay.WaitUntilListeningAsync(listen); // The probe itself is denied (127.0.0.1): a denial line.
        Assert.True(await CanEchoFromAsync(listen, "127.0.0.2"));
        Assert.False(await CanEchoFromAsync(listen, "127.0.0.3"));
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());

        var lines = relay.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l)).ToList();
        var connectionLines = lines.Where(l => l.RootElement.GetProperty("EventId").GetInt32() is >= 200 and < 300 or 300 or 500 or 503 or 504 or 510).ToList();
        Assert.True(connectionLines.Count >= 3, relay.StandardOutput);
        Assert.All(connectionLines, l => Assert.True(l.RootElement.GetProperty("State").TryGetProperty("ConnectionId", out _), l.RootElement.ToString()));
        lines.ForEach(l => l.Dispose());
    }

    internal static string Policy(string inboundSource) => $$"""
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "{{inboundSource}}", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
        ]}
        """;

    internal static async Task<(HttpStatusCode Status, string Body, string ContentType)> GetAsync(IPEndPoint admin, string path)
    {
        using var response = await Http.GetAsync(new Uri($"http://{admin}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString() ?? "");
    }

    internal static long Value(string scrape, string series)
    {
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task<(HttpStatusCode, string)> StatusAndBodyAsync(IPEndPoint admin, string path)
    {
        var (status, body, _) = await GetAsync(admin, path);
        return (status, body);
    }

    internal static async Task<bool> CanEchoFromAsync(IPEndPoint listen, string from)
    {
        using var client = await SocketTestExtensions.ConnectAsync(listen, IPAddress.Parse(from));
        try
        {
            await client.SendAsync(new byte[] { 7 }, SocketFlags.None);
            var buffer = new byte[1];
            var n = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(5));
            return n == 1 && buffer[0] == 7;
        }
        catch (SocketException)
        {
            return false; // Closed by the relay before the echo: denied.
        }
    }
}
