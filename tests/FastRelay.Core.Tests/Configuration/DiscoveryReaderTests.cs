using System.Net;
using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class DiscoveryReaderTests
{
    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    private static EdgeOptions Read(params RawSetting[] extra) =>
        EdgeOptionsReader.Read([Flag("listen", "api@127.0.0.1:8080"), Flag("route", "api=10.0.0.5:443"), Flag("route", "db=10.0.0.6:5432"), .. extra]);

    [Fact]
    public void Read_NoDiscoveryFlags_AppliesDefaults()
    {
        var options = Read();
        Assert.Empty(options.Discovery.Endpoints);
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500), 100_000), (options.Discovery.Ttl, options.Discovery.Timeout, options.Discovery.CacheSize));
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)), (options.Dns.MinTtl, options.Dns.MaxTtl));
        Assert.Empty(options.Dns.Servers);
    }

    [Fact]
    public void Read_AllFlags_AreParsed()
    {
        var options = Read(Flag("discovery", "api=http://127.0.0.1:8500/pick?dc=eu"), Flag("discovery", "db=https://disco.internal/v1"),
            Flag("discovery-ttl", "30s"), Flag("discovery-timeout", "200ms"), Flag("discovery-cache-size", "1000"),
            Flag("dns-server", "127.0.0.1:5353"), Flag("dns-server", "[::1]:53"), Flag("dns-min-ttl", "5s"), Flag("dns-max-ttl", "1m"));

        Assert.Equal(["api", "db"], options.Discovery.Endpoints.Select(e => e.Service));
        Assert.Equal("http://127.0.0.1:8500/pick?dc=eu", options.Discovery.Endpoints[0].Url.AbsoluteUri);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), 1000), (options.Discovery.Ttl, options.Discovery.Timeout, options.Discovery.CacheSize));
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:5353"), IPEndPoint.Parse("[::1]:53")], options.Dns.Servers);
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)), (options.Dns.MinTtl, options.Dns.MaxTtl));
    }

    [Fact]
    public void Read_BadDiscoveryFlags_ListsEveryError()
    {
        var error = Assert.Throws<ConfigException>(() => Read(
            Flag("discovery", "web=http://127.0.0.1/pick"),
            Flag("discovery", "api=ftp://127.0.0.1/pick"),
            Flag("discovery", "db=/relative"),
            Flag("discovery", "nourl"),
            Flag("discovery-ttl", "0"),
            Flag("discovery-timeout", "1m"),
            Flag("discovery-cache-size", "0"),
            Flag("dns-server", "dns.google:53"),
            Flag("dns-min-ttl", "10m")));
        var lines = error.Errors.Select(e => e.ToString()).ToList();

        Assert.Contains(lines, l => l.Contains("no --route for service 'web'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'ftp://127.0.0.1/pick': expected an absolute http:// or https:// URL", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'/relative': expected an absolute", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--discovery 'nourl'", StringComparison.Ordinal) && l.Contains("SERVICE=URL", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--discovery-ttl '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--discovery-timeout '1m'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--discovery-cache-size '0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--dns-server 'dns.google:53'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("must not exceed --dns-max-ttl", StringComparison.Ordinal));
        Assert.Equal(9, lines.Count);
    }

    [Fact]
    public void Read_TwoDiscoveryUrlsForOneService_IsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => Read(Flag("discovery", "api=http://a/"), Flag("discovery", "api=http://b/")));
        Assert.Contains("already has a --discovery", Assert.Single(error.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DiscoveryTuningWithoutDiscovery_IsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => Read(Flag("discovery-ttl", "30s")));
        Assert.Equal("--discovery-ttl '30s': only means something with --discovery SERVICE=URL", Assert.Single(error.Errors).ToString());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(30, 30)]
    [InlineData(3600, 300)]
    public void Clamp_KeepsTheTtlWithinFloorAndCeiling(int ttlSeconds, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), new DnsOptions().Clamp(TimeSpan.FromSeconds(ttlSeconds)));
}
