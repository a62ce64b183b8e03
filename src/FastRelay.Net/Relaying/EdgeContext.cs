using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Routing;
using FastRelay.Tls;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

/// <summary>What every connection of an edge shares: options, routes, policy gate, dialer, clock, logger and the
/// observers of its decisions (audit, metrics), with TLS the certificate store and the SNI router, and with
/// <c>tunnel:</c> routes the gateway pool, with <c>--discovery</c> the discovery cache. Immutable
/// (the gate swaps its policy inside, the store its certificates, the route table its routes).</summary>
internal sealed record EdgeContext(
    EdgeOptions Options,
    PolicyGate Policy,
    ConnectionRateGate? RateLimit,
    RouteTable Routes,
    IUpstreamDialer Dialer,
    TimeProvider Time,
    ILogger Logger,
    IConnectionObserver Observer,
    TlsMaterialStore? Tls = null,
    SniRouter? Sni = null,
    FastRelay.Tunnel.Pool.TunnelPool? Tunnel = null,
    FastRelay.Routing.Discovery.DiscoveryCache? Discovery = null)
{
    /// <summary>Picks each session's backend from its route's candidates (README, "Load balancing and health checks").</summary>
    public required BackendPicker Picker { get; init; }

    /// <summary>The epoll relay's loops for plain TCP connections (<c>--data-path epoll</c>, Linux x86-64); null: pipes only.</summary>
    public FastRelay.Transport.Epoll.EpollEngine? Epoll { get; init; }

    /// <summary>Rate-limits the log lines of refused handshakes (one a second at Information, the rest at Debug).</summary>
    public OncePerInterval HandshakeLog { get; } = new(Time, TimeSpan.FromSeconds(1));
}
