using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Core.Tests.Routing.Discovery;

public sealed class DiscoveryMetricsTests
{
    [Fact]
    public async Task Scrape_ShowsRequestsLookupsDefaultsAndEntries_WithTheReadmeNames()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        var time = new FakeTimeProvider();
        var up = true;
        var cache = new DiscoveryCache(new DelegateSource(() => up), new DiscoveryOptions { Endpoints = [new DiscoveryEndpoint("api", new Uri("http://d/"))] },
            time, NullLogger.Instance);
        var hosts = new HostCache(new NoHosts(), new DnsOptions(), time, NullLogger.Instance);
        DiscoveryMetrics.Observe(metrics.Meter, cache, hosts);
        IReadOnlyList<TargetOptions> defaults = [new("10.9.9.9", 1, 1)];

        await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), defaults); // miss, ok
        await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), defaults); // hit
        up = false;
        await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.3"), defaults); // miss, failed, default
        await hosts.ResolveAsync("x.test");
        var text = exporter.Scrape();

        Assert.Contains("fastrelay_discovery_requests_total{service=\"api\",outcome=\"ok\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_discovery_requests_total{service=\"api\",outcome=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_discovery_cache_lookups_total{service=\"api\",result=\"hit\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_discovery_cache_lookups_total{service=\"api\",result=\"miss\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_discovery_default_backend_total{service=\"api\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_discovery_cache_entries 2", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_dns_resolutions_total{outcome=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_dns_cache_entries 1", text, StringComparison.Ordinal);
    }

    private sealed class DelegateSource(Func<bool> up) : IDiscoverySource
    {
        public Task<CacheFill<IReadOnlyList<TargetOptions>>> FetchAsync(string service, IPAddress client, CancellationToken cancellationToken) =>
            Task.FromResult(up() ? CacheFill.Answer<IReadOnlyList<TargetOptions>>([new TargetOptions("10.1.0.1", 443, 1)], TimeSpan.Zero)
                : CacheFill.Failed<IReadOnlyList<TargetOptions>>("down"));
    }

    private sealed class NoHosts : IHostResolver
    {
        public Task<CacheFill<IPAddress[]>> ResolveAsync(string host, CancellationToken cancellationToken) => Task.FromResult(CacheFill.Failed<IPAddress[]>("NXDOMAIN"));
    }
}
