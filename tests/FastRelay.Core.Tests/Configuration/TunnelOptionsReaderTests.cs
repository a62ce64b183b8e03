using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

/// <summary>The edge's tunnel flags (cli.md): tunnel: targets, --gateway, keys, the pool's sizing, every error at once.</summary>
public sealed class TunnelOptionsReaderTests
{
    private const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    private static EdgeOptions ReadEdge(params RawSetting[] extra) => EdgeOptionsReader.Read(
        [Flag("listen", "127.0.0.1:8080"), Flag("route", "api=tunnel:api.example.com:443;weight=3,10.0.0.5:443"), .. extra]);

    [Fact]
    public void Read_TunnelRouteWithGateway_AppliesDefaults()
    {
        var options = ReadEdge(Flag("gateway", "203.0.113.7:7443"), Flag("tunnel-key", "/etc/fr/edge.key"), Flag("gateway-key", Key));

        var targets = options.Routes[0].Targets;
        Assert.Equal(new TargetOptions("api.example.com", 443, 3, ViaTunnel: true), targets[0]);
        Assert.Equal("tunnel:api.example.com:443", targets[0].ToString());
        Assert.False(targets[1].ViaTunnel);
        var tunnel = Assert.IsType<EdgeTunnelOptions>(options.Tunnel);
        Assert.Equal(new GatewayAddress("203.0.113.7", 7443), Assert.Single(tunnel.Gateways));
        Assert.Equal(32, tunnel.Keepalive);
        Assert.Equal(TimeSpan.FromSeconds(75), tunnel.KeepaliveTimeout);
        Assert.Equal(100, tunnel.KeepaliveRequests);
        Assert.Equal(256, tunnel.Session.MaxStreams);
        Assert.Equal(TimeSpan.FromSeconds(120), tunnel.Session.RekeyInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), tunnel.Session.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), tunnel.ConnectTimeout);
        Assert.Equal(2, tunnel.WarmConnections);
        Assert.Equal(32, Assert.Single(tunnel.Identity.PeerKeys).Length);
    }

    [Fact]
    public void Read_AllTunnelFlags_AreApplied()
    {
        var options = ReadEdge(Flag("gateway", "gw1.example:7443"), Flag("gateway", "[2001:db8::1]:7443"), Flag("tunnel-key", "k"), Flag("gateway-key", Key),
            Flag("keepalive", "4"), Flag("keepalive-timeout", "10s"), Flag("keepalive-requests", "0"), Flag("tunnel-max-streams", "64"),
            Flag("rekey-interval", "24h"), Flag("ping-interval", "100ms"), Flag("tunnel-prewarm", "8"), Flag("tunnel-connect-timeout", "2s"));

        var tunnel = options.Tunnel!;
        Assert.Equal(["gw1.example:7443", "[2001:db8::1]:7443"], tunnel.Gateways.Select(g => g.ToString()));
        Assert.Equal((4, 0, 64), (tunnel.Keepalive, tunnel.KeepaliveRequests, tunnel.Session.MaxStreams));
        Assert.Equal(TimeSpan.FromHours(24), tunnel.Session.RekeyInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), tunnel.Session.PingInterval);
        Assert.Equal(4, tunnel.WarmConnections); // --tunnel-prewarm 8, capped by --keepalive 4.
    }

    [Fact]
    public void Read_TunnelTargetWithoutGateway_NamesTheRoute()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge());

        var gateway = Assert.Single(error.Errors, e => e.Path == "--gateway");
        Assert.Contains("route 'api' has tunnel: targets", gateway.Expected, StringComparison.Ordinal);
        Assert.Contains(error.Errors, e => e.Path == "--tunnel-key");
    }

    [Fact]
    public void Read_AllTunnelRoute_IsAccepted()
    {
        var options = EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:8080"), Flag("route", "api=tunnel:1.2.3.4:443,tunnel:[2001:db8::5]:443"),
            Flag("gateway", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("gateway-key", Key)]);

        Assert.All(options.Routes[0].Targets, t => Assert.True(t.ViaTunnel));
        Assert.Equal("tunnel:[2001:db8::5]:443", options.Routes[0].Targets[1].ToString());
    }

    [Fact]
    public void Read_BadTunnelFlags_ListsEveryError()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge(
            Flag("gateway", "nowhere"), Flag("gateway-key", "not-base64!"), Flag("gateway-key", "AAAA"), Flag("keepalive", "-1"),
            Flag("keepalive-timeout", "0"), Flag("keepalive-requests", "x"), Flag("tunnel-max-streams", "0"), Flag("rekey-interval", "25h"),
            Flag("ping-interval", "50ms"), Flag("tunnel-connect-timeout", "soon")));

        var lines = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(lines, l => l.StartsWith("--gateway 'nowhere'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--gateway-key 'not-base64!'", StringComparison.Ordinal) && l.Contains("base64", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--gateway-key 'AAAA'", StringComparison.Ordinal) && l.Contains("32-byte", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--keepalive '-1'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--keepalive-timeout '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--keepalive-requests 'x'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--tunnel-max-streams '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--rekey-interval '25h'", StringComparison.Ordinal) && l.Contains("at most 24h", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--ping-interval '50ms'", StringComparison.Ordinal) && l.Contains("100ms", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--tunnel-connect-timeout 'soon'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--tunnel-key", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_PinnedKeysAndCa_AreMutuallyExclusive()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge(Flag("gateway", "127.0.0.1:1"), Flag("tunnel-key", "k"), Flag("gateway-key", Key), Flag("tunnel-ca", "ca.pem")));

        Assert.Contains(error.Errors, e => e.Path == "--tunnel-ca" && e.Expected.Contains("mutually exclusive", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_CaModeWithoutOwnCertificate_AsksForIt()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge(Flag("gateway", "127.0.0.1:1"), Flag("tunnel-key", "k"), Flag("tunnel-ca", "ca.pem")));

        Assert.Contains(error.Errors, e => e.Expected.Contains("--tunnel-cert FILE and --tunnel-cert-key FILE", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_TunnelCrlInCaMode_IsKeptInOrder()
    {
        var options = ReadEdge(Flag("gateway", "127.0.0.1:1"), Flag("tunnel-key", "k"), Flag("tunnel-ca", "ca.pem"), Flag("tunnel-cert", "c.pem"),
            Flag("tunnel-cert-key", "c.key"), Flag("tunnel-crl", "a.crl"), Flag("tunnel-crl", "b.crl"));

        Assert.Equal(["a.crl", "b.crl"], options.Tunnel!.Identity.CrlFiles);
    }

    [Fact]
    public void Read_TunnelCrlWithoutCa_IsAnErrorNamingTheFlag()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge(Flag("gateway", "127.0.0.1:1"), Flag("tunnel-key", "k"), Flag("gateway-key", Key), Flag("tunnel-crl", "a.crl")));

        var crl = Assert.Single(error.Errors, e => e.Path == "--tunnel-crl");
        Assert.Equal("a.crl", crl.Value);
        Assert.Contains("only used with --tunnel-ca", crl.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadGateway_TunnelCrlWithoutCa_IsAnErrorNamingTheFlag()
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read(
            [Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key), Flag("allow-any-target", "true"), Flag("tunnel-crl", "a.crl")]));

        Assert.Contains(error.Errors, e => e.Path == "--tunnel-crl" && e.Expected.Contains("only used with --tunnel-ca", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Errors, e => e.Expected.Contains("unknown setting", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_NoPeerAuthentication_IsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => ReadEdge(Flag("gateway", "127.0.0.1:1"), Flag("tunnel-key", "k")));

        Assert.Contains(error.Errors, e => e.Path == "--gateway-key" && e.Expected.Contains("--tunnel-ca", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_TunnelFlagsWithoutGateway_AreCheckedThenIgnored()
    {
        // cli.md's pool defaults on an edge with no gateway: a shared unit file must start; each flag is named once.
        var options = EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", "a=h:1"), Flag("keepalive", "32"),
            Flag("keepalive-timeout", "75s"), Flag("keepalive-requests", "100"), Flag("tunnel-key", "edge.key")]);

        Assert.Null(options.Tunnel);
        Assert.Equal(["keepalive", "keepalive-timeout", "keepalive-requests", "tunnel-key"], options.Ignored.Select(i => i.Path.TrimStart('-')));
        Assert.All(options.Ignored, i => Assert.Contains("has no effect without --gateway", i.ToString(), StringComparison.Ordinal));
        Assert.Equal("--keepalive-timeout '75s': has no effect without --gateway (no route uses the tunnel); ignored", options.Ignored[1].ToString());

        // A bad value is still an error, and only that one: no knock-on "key required" errors.
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", "a=h:1"), Flag("keepalive-timeout", "forever")]));
        Assert.StartsWith("--keepalive-timeout 'forever'", Assert.Single(error.Errors).ToString(), StringComparison.Ordinal);

        // Without tunnel flags nothing is ignored.
        Assert.Empty(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", "a=h:1")]).Ignored);
    }

    [Fact]
    public void Read_DirectRoutesOnly_HasNoTunnel() =>
        Assert.Null(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:8080"), Flag("route", "a=10.0.0.1:80")]).Tunnel);
}
