using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Discovery;

/// <summary>
/// Service discovery on the real process, as README "Service discovery" documents it: the flags (errors, --help with
/// defaults), a client routed by the discovery endpoint, and the metrics an operator watches.
/// </summary>
public sealed class DiscoveryProcessTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Edge_BadDiscoveryFlags_Exit2_EachNamed()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "api@127.0.0.1:0", "--route", "api=127.0.0.1:1",
            "--discovery", "web=http://127.0.0.1:1/pick", "--discovery", "api=file:///etc/passwd", "--dns-server", "resolver", "--dns-min-ttl", "soon");

        Assert.Equal(2, await relay.WaitForExitAsync());
        var stderr = relay.StandardError;
        Assert.Contains("--discovery 'web=http://127.0.0.1:1/pick': no --route for service 'web'", stderr, StringComparison.Ordinal);
        Assert.Contains("--discovery 'api=file:///etc/passwd': URL 'file:///etc/passwd': expected an absolute http:// or https:// URL", stderr, StringComparison.Ordinal);
        Assert.Contains("--dns-server 'resolver'", stderr, StringComparison.Ordinal);
        Assert.Contains("--dns-min-ttl 'soon'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EdgeHelp_ListsTheDiscoveryFlagsWithDefaults()
    {
        using var help = await FastRelayProcess.RunAsync("edge", "--help");
        Assert.Equal(0, await help.WaitForExitAsync());
        var text = help.StandardOutput;
        foreach (var flag in new[] { "--discovery ", "--discovery-ttl", "--discovery-timeout", "--discovery-cache-size", "--dns-server", "--dns-min-ttl", "--dns-max-ttl" })
        {
            Assert.Contains(flag, text, StringComparison.Ordinal);
        }

        foreach (var value in new[] { "[default: 60s]", "[default: 500ms]", "[default: 100000]", "[default: 1s]", "[default: 5m]" })
        {
            Assert.Contains(value, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Edge_DiscoveryPicksTheBackend_AndTheMetricsCountIt()
    {
        await using var fallback = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var picked = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var discovery = new FakeDiscoveryServer(_ => Task.FromResult((200, "application/json", $"{{\"targets\": [\"{picked.EndPoint}\"]}}")));
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"api@{listen}", "--route", $"api={fallback.EndPoint}", "--discovery", $"api={discovery.Url}",
            "--discovery-timeout", "5s"); // Not the 500 ms default: the first, cold lookup on a loaded machine must not fall back.
        var admin = await relay.AdminEndPointAsync();
        await relay.WaitUntilListeningAsync(listen);

        for (var i = 0; i < 3; i++)
        {
            using var client = await SocketTestExtensions.ConnectAsync(listen, IPAddress.Parse("127.0.0.2"));
            await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
            Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        }

        // The readiness probe of WaitUntilListeningAsync is a client too (from 127.0.0.1).
        Assert.Equal(0, fallback.AcceptedConnections);
        Assert.True(picked.AcceptedConnections >= 3);
        var metrics = await Http.GetStringAsync(new Uri($"http://{admin}/metrics"));
        Assert.True(Value(metrics, "fastrelay_discovery_requests_total{service=\"api\",outcome=\"ok\"}") >= 1, metrics);
        Assert.True(Value(metrics, "fastrelay_discovery_cache_lookups_total{service=\"api\",result=\"hit\"}") >= 2, metrics);
        Assert.True(Value(metrics, "fastrelay_discovery_cache_entries") >= 1, metrics);
        Assert.Equal(0, Value(metrics, "fastrelay_discovery_default_backend_total{service=\"api\"}"));
        Assert.Single(discovery.Requests, r => r == "/pick?service=api&client=127.0.0.2");
    }

    private static double Value(string metrics, string series) =>
        double.Parse(metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
