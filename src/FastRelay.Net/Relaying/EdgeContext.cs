using FastRelay.Configuration;
using FastRelay.Routing;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

/// <summary>What every connection of an edge shares: options, routes, dialer, clock and logger. Immutable.</summary>
internal sealed record EdgeContext(
    EdgeOptions Options,
    IReadOnlyDictionary<string, TargetSelector> Routes,
    IUpstreamDialer Dialer,
    TimeProvider Time,
    ILogger Logger);
