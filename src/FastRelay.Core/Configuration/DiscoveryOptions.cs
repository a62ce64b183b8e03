using System.Net;

namespace FastRelay.Configuration;

/// <summary>
/// Service discovery (<c>--discovery SERVICE=URL</c>, <c>--discovery-ttl</c>, <c>--discovery-timeout</c>,
/// <c>--discovery-cache-size</c>): which routes ask an HTTP endpoint for their targets per client, and how the
/// answers are cached. A route with discovery keeps its <c>--route</c> targets as its default backends.
/// </summary>
public sealed record DiscoveryOptions
{
    /// <summary>Default for <see cref="Ttl"/>: what the users' proxies cache a discovery answer for.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(60);

    /// <summary>Default for <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Default for <see cref="CacheSize"/>.</summary>
    public const int DefaultCacheSize = 100_000;

    /// <summary>The routes that use discovery, each with its endpoint; empty for none.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<DiscoveryEndpoint> Endpoints { get; init; } = [];

    /// <summary>How long one answer for a (client address, service) is fresh.</summary>
    /// <remarks>Defaults to 60s.</remarks>
    public TimeSpan Ttl { get; init; } = DefaultTtl;

    /// <summary>Time for one request to the discovery endpoint; past it the request counts as failed.</summary>
    /// <remarks>Defaults to 500ms.</remarks>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The most (client address, service) answers kept; past it the least recently used is dropped.</summary>
    /// <remarks>Defaults to 100000 (about 30 MB at most).</remarks>
    public int CacheSize { get; init; } = DefaultCacheSize;
}

/// <summary>One route's discovery endpoint: <c>GET {Url}?service=SERVICE&amp;client=IP</c>.</summary>
/// <param name="Service">The route (it has a <c>--route</c>: its targets are the default backends).</param>
/// <param name="Url">An absolute http or https URL, which may carry a query of its own.</param>
public sealed record DiscoveryEndpoint(string Service, Uri Url);

/// <summary>
/// How DNS-name targets are resolved (<c>--dns-server</c>, <c>--dns-min-ttl</c>, <c>--dns-max-ttl</c>): the answer's
/// addresses are cached for the record's TTL, clamped to the floor and ceiling, and re-resolved in the background.
/// </summary>
public sealed record DnsOptions
{
    /// <summary>Default for <see cref="MinTtl"/>.</summary>
    public static readonly TimeSpan DefaultMinTtl = TimeSpan.FromSeconds(1);

    /// <summary>Default for <see cref="MaxTtl"/>.</summary>
    public static readonly TimeSpan DefaultMaxTtl = TimeSpan.FromMinutes(5);

    /// <summary>The DNS servers to ask; empty for the system's (<c>/etc/resolv.conf</c>, then <c>/etc/hosts</c> and the rest of nsswitch).</summary>
    /// <remarks>Defaults to the system's.</remarks>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = [];

    /// <summary>The floor of a cached answer's lifetime: a TTL of 0 must not send one query per connection.</summary>
    /// <remarks>Defaults to 1s.</remarks>
    public TimeSpan MinTtl { get; init; } = DefaultMinTtl;

    /// <summary>The ceiling of a cached answer's lifetime: a moved backend is picked up within it whatever the TTL says.</summary>
    /// <remarks>Defaults to 5m.</remarks>
    public TimeSpan MaxTtl { get; init; } = DefaultMaxTtl;

    /// <summary>Clamps a record's <paramref name="ttl"/> to [<see cref="MinTtl"/>, <see cref="MaxTtl"/>].</summary>
    public TimeSpan Clamp(TimeSpan ttl) => ttl < MinTtl ? MinTtl : ttl > MaxTtl ? MaxTtl : ttl;
}
