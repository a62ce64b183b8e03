using FastRelay.Configuration;
using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Logging;

namespace FastRelay.Discovery;

/// <summary>
/// An edge's discovery runtime: the per-(client, service) cache over the HTTP endpoints (only with <c>--discovery</c>)
/// and the DNS cache the direct dialer takes names from. Owned by the <c>EdgeServer</c>, disposed after its drain.
/// </summary>
internal sealed class EdgeDiscovery : IDisposable
{
    private readonly HttpDiscoverySource? _http;

    private EdgeDiscovery(DiscoveryCache? cache, HttpDiscoverySource? http, HostCache hosts)
    {
        Cache = cache;
        _http = http;
        Hosts = hosts;
    }

    /// <summary>The discovery cache; null when no route uses discovery.</summary>
    public DiscoveryCache? Cache { get; }

    /// <summary>The addresses of DNS-name targets.</summary>
    public HostCache Hosts { get; }

    /// <summary>Builds both caches from <paramref name="options"/> (nothing is asked until the first connection).</summary>
    public static EdgeDiscovery Create(EdgeOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("FastRelay.Discovery");
        var hosts = new HostCache(new DnsClientResolver(options.Dns), options.Dns, time, logger);
        if (options.Discovery.Endpoints.Count == 0)
        {
            return new EdgeDiscovery(null, null, hosts);
        }

        var http = new HttpDiscoverySource(options.Discovery, allowTunnel: options.Tunnel is not null);
        return new EdgeDiscovery(new DiscoveryCache(http, options.Discovery, time, logger), http, hosts);
    }

    /// <inheritdoc />
    public void Dispose() => _http?.Dispose(); // A request still running ends with ObjectDisposedException, counted as failed.
}
