using System.Net;
using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

/// <summary><c>fastrelay gateway</c>'s flags: required inputs, the SSRF guard (--policy or --allow-any-target), every error at once.</summary>
public sealed class GatewayOptionsReaderTests
{
    private const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    [Fact]
    public void Read_MinimalFlags_AppliesDefaults()
    {
        var options = GatewayOptionsReader.Read([Flag("listen", "0.0.0.0:7443"), Flag("tunnel-key", "gw.key"), Flag("edge-key", Key), Flag("policy", "p.json")]);

        Assert.Equal(new IPEndPoint(IPAddress.Any, 7443), options.Listen);
        Assert.Equal("p.json", options.PolicyFile);
        Assert.False(options.AllowAnyTarget);
        Assert.Equal(128, options.MaxHandshakes);
        Assert.Equal(32, options.MaxHandshakesPerSource);
        Assert.Equal(new FastRelay.RateLimiting.TokenBucketOptions(20, 40), options.HandshakeRate);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DrainTimeout);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9902), options.Admin);
        Assert.Equal("fastrelay-gateway-audit.db", options.Audit.Target.Location);
        Assert.Equal("fastrelay-gateway-audit-spool", options.Audit.SpoolDirectory);
    }

    [Fact]
    public void Read_RecheckEstablishedWithoutRules_IsListedAsIgnored()
    {
        // Valid, but with --allow-any-target nothing is ever decided again: said at start, not kept silently.
        var options = GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key), Flag("allow-any-target", "true"),
            Flag("recheck-established", "true")]);
        Assert.Contains("--recheck-established 'true': has no effect without --policy", Assert.Single(options.Ignored).ToString(), StringComparison.Ordinal);
        Assert.Empty(GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key), Flag("policy", "p.json"),
            Flag("recheck-established", "true")]).Ignored);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("tab\there")]
    [InlineData("line\u0085break")] // NEL: a control character above the space.
    [InlineData("\ud800lone")]
    public void Read_NodeNameEdgesWouldRefuse_IsAConfigError(string name)
    {
        // The handshake carries the name into the edges' logs; they refuse control characters and over 255 bytes, so
        // such a gateway would start and then fail every edge's handshake.
        var error = Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key),
            Flag("allow-any-target", "true"), Flag("node-name", name)]));
        Assert.Equal(NodeNameSyntax.ExpectedInHandshake, Assert.Single(error.Errors, e => e.Path == "--node-name").Expected);
    }

    [Fact]
    public void Read_NodeName_CountsUtf8Bytes_NotCharacters()
    {
        var ok = GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key), Flag("allow-any-target", "true"),
            Flag("node-name", new string('é', 127))]); // 254 bytes.
        Assert.Equal(new string('é', 127), ok.NodeName);
        Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key),
            Flag("allow-any-target", "true"), Flag("node-name", new string('é', 128))])); // 256 bytes: 128 characters.

        // An edge sends its --audit-node in the handshake when it has a gateway: the same byte limit then, and only then
        // (an audit-only name keeps the 255-character rule).
        var edge = new List<RawSetting> { Flag("listen", "127.0.0.1:0"), Flag("route", "svc=tunnel:127.0.0.1:9"), Flag("gateway", "127.0.0.1:7443"),
            Flag("tunnel-key", "k"), Flag("gateway-key", Key), Flag("audit-node", new string('é', 128)) };
        Assert.Equal(NodeNameSyntax.ExpectedInHandshake, Assert.Single(Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(edge)).Errors, e => e.Path == "--audit-node").Expected);
        Assert.Equal(new string('é', 128), EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:0"), Flag("route", "svc=127.0.0.1:9"), Flag("audit-node", new string('é', 128))]).Audit.Node);
    }

    [Fact]
    public void Read_NoPolicy_RequiresAnExplicitAllowAnyTarget()
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key)]));
        Assert.Contains("--allow-any-target", Assert.Single(error.Errors, e => e.Path == "--policy").Expected, StringComparison.Ordinal);

        var options = GatewayOptionsReader.Read([Flag("listen", "127.0.0.1:7443"), Flag("tunnel-key", "k"), Flag("edge-key", Key), Flag("allow-any-target", "true")]);
        Assert.True(options.AllowAnyTarget);
    }

    [Fact]
    public void Read_BadFlags_ListsEveryError()
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read(
        [
            Flag("listen", "gw.example:7443"), Flag("edge-key", "short"), Flag("max-handshakes", "0"), Flag("handshake-rate", "fast"),
            Flag("connect-timeout", "0"), Flag("rekey-interval", "100h"), Flag("allow-any-target", "maybe"), Flag("gateway", "127.0.0.1:1"),
        ]));

        var lines = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(lines, l => l.StartsWith("--listen 'gw.example:7443'", StringComparison.Ordinal) && l.Contains("IP literal", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--tunnel-key:", StringComparison.Ordinal) && l.Contains("keygen", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--edge-key 'short'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--max-handshakes '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--handshake-rate 'fast'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--connect-timeout '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--rekey-interval '100h'", StringComparison.Ordinal) && l.Contains("24h", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--allow-any-target 'maybe'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--gateway '127.0.0.1:1'", StringComparison.Ordinal) && l.Contains("unknown", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_NothingGiven_AsksForListenKeyAndPeers()
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptionsReader.Read([]));

        Assert.Equal(["--listen", "--tunnel-key", "--edge-key", "--policy"], error.Errors.Select(e => e.Path));
    }
}
