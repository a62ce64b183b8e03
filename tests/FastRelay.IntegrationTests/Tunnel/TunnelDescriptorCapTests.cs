using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tunnel;

/// <summary>
/// An edge whose every route goes through the tunnel holds one descriptor per session (its client socket; the
/// tunnel connections are shared), so its connection cap counts that, not two; and a reload that would add a direct
/// target, which needs a second descriptor per session, is refused while the cap counts on it.
/// </summary>
public sealed class TunnelDescriptorCapTests : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"fastrelay-tunnel-cap-{Guid.NewGuid():N}.json");

    [Fact]
    public async Task TunnelOnlyEdge_CapsAtAboutOneDescriptorPerSession_RefusesADirectTargetOnReload()
    {
        using var nodes = new TunnelNodes();
        var (gateway, gatewayEndPoint) = await nodes.StartGatewayAsync("--allow-any-target");
        using var _ = gateway;
        var listen = FastRelayProcess.FreeEndPoint();
        await WriteConfigAsync(listen, "svc=tunnel:127.0.0.1:9");
        using var edge = FastRelayProcess.StartWithFileLimit(600, "edge", "--config", _config, "--gateway", gatewayEndPoint.ToString(),
            "--tunnel-key", nodes.EdgeKeyFile, "--gateway-key", nodes.GatewayPublicKey, "--max-connections", "100000",
            "--audit", "off", "--admin", "127.0.0.1:0", "--log-level", "information");
        await edge.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("about one per session", StringComparison.Ordinal)), edge.StandardOutput);
        var allowed = ServingAtMost(edge.StandardOutput);
        Assert.InRange(allowed, 250, 599); // Two per connection would allow at most (600 - open - 64) / 2, under 250.

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("edge running", StringComparison.Ordinal)), edge.StandardOutput);
        await WriteConfigAsync(listen, "svc=127.0.0.1:9");
        edge.Signal("HUP");
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("Routes not reloaded: direct target 127.0.0.1:9", StringComparison.Ordinal)), edge.StandardOutput);

        edge.Signal("TERM");
        Assert.Equal(0, await edge.WaitForExitAsync());
    }

    public void Dispose() => File.Delete(_config);

    private Task WriteConfigAsync(System.Net.IPEndPoint listen, string route) =>
        File.WriteAllTextAsync(_config, $$"""{"listen": ["svc@{{listen}}"], "route": ["{{route}}"]}""");

    private static int ServingAtMost(string output)
    {
        const string Marker = "serving at most ";
        var start = output.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        var end = output.IndexOf(' ', start);
        return int.Parse(output.AsSpan(start, end - start), System.Globalization.CultureInfo.InvariantCulture);
    }
}
