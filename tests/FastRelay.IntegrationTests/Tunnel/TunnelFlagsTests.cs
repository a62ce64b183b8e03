using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tunnel;

/// <summary>The tunnel flags of both commands: every error at once with exit 2, and every flag in --help with its default (cli.md).</summary>
public sealed class TunnelFlagsTests
{
    [Fact]
    public async Task Gateway_BadFlags_Exit2_EachNamed_NoStackTrace()
    {
        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "nope", "--edge-key", "short", "--rekey-interval", "100h",
            "--max-handshakes", "0", "--ping-interval", "10ms");

        Assert.Equal(2, await gateway.WaitForExitAsync());
        var stderr = gateway.StandardError;
        foreach (var named in new[] { "--listen 'nope'", "--edge-key 'short'", "--rekey-interval '100h'", "--max-handshakes '0'", "--ping-interval '10ms'", "--tunnel-key", "--policy" })
        {
            Assert.Contains(named, stderr, StringComparison.Ordinal);
        }

        Assert.Contains("at most 24h", stderr, StringComparison.Ordinal);
        Assert.Contains("--allow-any-target", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_TunnelRouteWithoutGateway_Exit2_NamesTheRoute()
    {
        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "api=tunnel:api.example.com:443", "--keepalive", "-3");

        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("route 'api' has tunnel: targets, which need at least one gateway", edge.StandardError, StringComparison.Ordinal);
        Assert.Contains("--keepalive '-3'", edge.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_PoolFlagsWithoutGateway_StartAndWarn()
    {
        // cli.md's pool defaults in a unit file shared with edges that have no gateway: the edge serves and says so.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var edge = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--audit", "off",
            "--keepalive", "32", "--keepalive-timeout", "75s", "--keepalive-requests", "100");
        await edge.WaitUntilListeningAsync(listen);

        using var client = await SocketTestExtensions.ConnectAsync(listen);
        await client.SendAsync(new byte[] { 7 }, SocketFlags.None);
        Assert.Equal(7, (await client.ReceiveExactlyAsync(1))[0]);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains(
            "--keepalive-timeout '75s': has no effect without --gateway (no route uses the tunnel); ignored", StringComparison.Ordinal)), edge.StandardOutput);
        Assert.Contains("--keepalive '32': has no effect", edge.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("--tunnel-key", edge.StandardOutput + edge.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_MissingKeyFile_Exit2_NamesTheFile()
    {
        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "api=tunnel:10.0.0.1:443", "--gateway", "127.0.0.1:7443",
            "--tunnel-key", "/nonexistent/edge.key", "--gateway-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");

        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("--tunnel-key '/nonexistent/edge.key': file not found", edge.StandardError, StringComparison.Ordinal);
        Assert.Single(edge.StandardError.Split("/nonexistent/edge.key")[1..]); // The flag, then the path once.
    }

    [Fact]
    public async Task Gateway_ListenAddressInUse_Exit1_TheReadmesOneLineReason()
    {
        using var taken = LoopbackPorts.Occupy();
        var address = (IPEndPoint)taken.LocalEndPoint!;
        using var nodes = new TunnelNodes();

        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", address.ToString(), "--tunnel-key", nodes.GatewayKeyFile,
            "--edge-key", nodes.EdgePublicKey, "--allow-any-target", "--admin", "off", "--audit", "off");

        Assert.Equal(1, await gateway.WaitForExitAsync());
        Assert.Equal($"fastrelay: listener {address} is already in use", gateway.StandardError.Trim()); // As the edge's, without a service.
    }

    [Fact]
    public async Task Gateway_CaModeFilesMissing_Exit2_NamesEachFile()
    {
        using var nodes = new TunnelNodes();
        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--tunnel-key", nodes.GatewayKeyFile, "--allow-any-target",
            "--tunnel-ca", "/nonexistent/ca.pem", "--tunnel-cert", "/nonexistent/gw.pem", "--tunnel-cert-key", "/nonexistent/gw.key",
            "--tunnel-crl", "/nonexistent/tunnel.crl");

        Assert.Equal(2, await gateway.WaitForExitAsync());
        Assert.Contains("--tunnel-ca '/nonexistent/ca.pem'", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains("--tunnel-cert '/nonexistent/gw.pem'", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains("--tunnel-crl /nonexistent/tunnel.crl: file not found", gateway.StandardError, StringComparison.Ordinal); // Read without the CA.
    }

    [Fact]
    public async Task Gateway_TunnelCrlMissingOrBad_Exit2_NamesEachFile()
    {
        using var nodes = new TunnelNodes();
        await using var pki = TestPki.Create();
        var ca = Path.Combine(nodes.Directory, "tunnel-ca.pem");
        await File.WriteAllTextAsync(ca, pki.CaCertificate.ExportCertificatePem());
        pki.IssueServer("gw-1");
        var (cert, key) = pki.Ca.Files.Issued("gw-1");
        var bad = Path.Combine(nodes.Directory, "bad.crl");
        await File.WriteAllTextAsync(bad, "not a CRL");
        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--tunnel-key", nodes.GatewayKeyFile, "--allow-any-target",
            "--tunnel-ca", ca, "--tunnel-cert", cert, "--tunnel-cert-key", key, "--tunnel-crl", "/nonexistent/tunnel.crl", "--tunnel-crl", bad);

        Assert.Equal(2, await gateway.WaitForExitAsync());
        Assert.Contains("--tunnel-crl /nonexistent/tunnel.crl: file not found", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tunnel-crl {bad}: ", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains("PEM or DER", gateway.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", gateway.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_TunnelCrlWithoutTunnelCa_Exit2_NamesTheFlag()
    {
        using var nodes = new TunnelNodes();
        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "api=tunnel:10.0.0.1:443", "--gateway", "127.0.0.1:7443",
            "--tunnel-key", nodes.EdgeKeyFile, "--gateway-key", nodes.GatewayPublicKey, "--tunnel-crl", "/etc/tunnel.crl");

        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("--tunnel-crl '/etc/tunnel.crl'", edge.StandardError, StringComparison.Ordinal);
        Assert.Contains("only used with --tunnel-ca", edge.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_ConfigFile_ErrorsNameTheJsonKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-gateway-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{"listen": "127.0.0.1:0", "tunnelKey": "/nonexistent.key", "edge-key": ["AAAA"], "maxHandshakes": "lots", "allowAnyTarget": true, "keepalive": 3}""");
        try
        {
            using var gateway = await FastRelayProcess.RunAsync("gateway", "--config", path);

            Assert.Equal(2, await gateway.WaitForExitAsync());
            var stderr = gateway.StandardError;
            var file = Path.GetFileName(path);
            Assert.Contains($"{file}: edge-key[0] 'AAAA'", stderr, StringComparison.Ordinal);
            Assert.Contains($"{file}: maxHandshakes 'lots'", stderr, StringComparison.Ordinal);
            Assert.Contains($"{file}: keepalive", stderr, StringComparison.Ordinal); // An edge flag: unknown to the gateway.
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Gateway_Help_ListsEveryFlagWithItsDefault()
    {
        using var help = await FastRelayProcess.RunAsync("gateway", "--help");

        Assert.Equal(0, await help.WaitForExitAsync());
        foreach (var flag in new[] { "--listen", "--tunnel-key", "--edge-key", "--tunnel-ca", "--tunnel-crl", "--policy", "--allow-any-target", "--connect-timeout", "--max-handshakes", "--max-handshakes-per-source",
            "--handshake-rate", "--drain-timeout", "--audit", "--admin", "--log-format", "--log-level", "--config", "--tunnel-max-streams", "--ping-interval", "--rekey-interval" })
        {
            Assert.Contains(flag, help.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("[default: 128]", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("[default: 120s]", help.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_Help_ListsTheTunnelFlagsWithTheirDefaults()
    {
        using var help = await FastRelayProcess.RunAsync("edge", "--help");

        Assert.Equal(0, await help.WaitForExitAsync());
        var text = help.StandardOutput;
        foreach (var (flag, fallback) in new[] { ("--keepalive ", "32"), ("--keepalive-timeout", "75s"), ("--keepalive-requests", "100"), ("--tunnel-max-streams", "256"),
            ("--rekey-interval", "120s"), ("--ping-interval", "1s"), ("--tunnel-connect-timeout", "5s"), ("--gateway ", "none"), ("--gateway-key", "none"), ("--tunnel-key", "none") })
        {
            Assert.Contains(flag, text, StringComparison.Ordinal);
            Assert.Contains($"[default: {fallback}", text, StringComparison.Ordinal);
        }
    }
}
