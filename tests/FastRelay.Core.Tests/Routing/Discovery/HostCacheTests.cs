using System.Net;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Routing.Discovery;

/// <summary>The DNS cache: TTL clamped to the floor and ceiling, last good addresses kept while the server fails.</summary>
public sealed class HostCacheTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedResolver _resolver = new();

    [Theory]
    [InlineData("ttl 0 -> floor 2s", 0, 2)]
    [InlineData("ttl 30s kept", 30, 30)]
    [InlineData("ttl 1 day -> ceiling 60s", 86_400, 60)]
    public async Task ResolveAsync_CachesForTheClampedTtl(string label, int ttlSeconds, int cachedSeconds)
    {
        var cache = new HostCache(_resolver, new DnsOptions { MinTtl = TimeSpan.FromSeconds(2), MaxTtl = TimeSpan.FromSeconds(60) }, _time, NullLogger.Instance);
        _resolver.Ttl = TimeSpan.FromSeconds(ttlSeconds);
        Assert.NotNull((await cache.ResolveAsync("backend.test")).Value);

        // Before 80 % of the lifetime a hit asks nothing (after it, a hit also refreshes ahead).
        _time.Advance(TimeSpan.FromSeconds(cachedSeconds * 0.7));
        Assert.Equal(CacheResult.Hit, (await cache.ResolveAsync("BACKEND.test")).Result); // Names ignore case.
        Assert.Equal(1, _resolver.Queries);
        _time.Advance(TimeSpan.FromSeconds(cachedSeconds * 0.3));
        Assert.Equal(CacheResult.Stale, (await cache.ResolveAsync("backend.test")).Result);
        Assert.True(_resolver.Queries == 2, label);
    }

    [Fact]
    public async Task ResolveAsync_ServerFails_KeepsTheLastGoodAddresses()
    {
        var cache = new HostCache(_resolver, new DnsOptions(), _time, NullLogger.Instance);
        _resolver.Ttl = TimeSpan.FromSeconds(10);
        var first = (await cache.ResolveAsync("backend.test")).Value;

        _resolver.Down = true;
        _time.Advance(TimeSpan.FromSeconds(11));
        var stale = await cache.ResolveAsync("backend.test");
        Assert.Same(first, stale.Value);
        Assert.Equal(1, cache.ResolveFailed);
        Assert.Same(first, (await cache.ResolveAsync("backend.test")).Value);
    }

    [Fact]
    public async Task ResolveAsync_UnknownName_IsUnavailable()
    {
        var cache = new HostCache(_resolver, new DnsOptions(), _time, NullLogger.Instance);
        _resolver.Down = true;
        Assert.Equal(new CacheLookup<IPAddress[]>(null, CacheResult.Unavailable), await cache.ResolveAsync("missing.test"));
    }

    private sealed class ScriptedResolver : IHostResolver
    {
        public TimeSpan Ttl { get; set; }

        public bool Down { get; set; }

        public int Queries { get; private set; }

        public Task<CacheFill<IPAddress[]>> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Queries++;
            return Task.FromResult(Down ? CacheFill.Failed<IPAddress[]>("SERVFAIL") : CacheFill.Answer<IPAddress[]>([IPAddress.Loopback], Ttl));
        }
    }
}
