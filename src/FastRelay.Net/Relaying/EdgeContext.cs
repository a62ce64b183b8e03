using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Routing;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

/// <summary>What every connection of an edge shares: options, routes, policy gate, dialer, clock, logger and the
/// observers of its decisions (audit, metrics). Immutable
/// (the gate swaps its policy inside).</summary>
internal sealed record EdgeContext(
    EdgeOptions Options,
    PolicyGate Policy,
    ConnectionRateGate? RateLimit,
    IReadOnlyDictionary<string, TargetSelector> Routes,
    IUpstreamDialer Dialer,
    TimeProvider Time,
    ILogger Logger,
    IConnectionObserver Observer);
