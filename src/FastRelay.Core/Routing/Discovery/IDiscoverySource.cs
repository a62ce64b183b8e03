using System.Net;
using FastRelay.Configuration;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// Asks a discovery service which targets serve a client of a service (the seam the HTTP client implements and tests fake).
/// </summary>
/// <remarks>
/// Contract: returns failures (unreachable, HTTP error, a body that is not an answer) as a failed
/// <see cref="CacheFill{TValue}"/> with a reason naming the service and what was wrong; throws only
/// <see cref="OperationCanceledException"/> when <c>cancellationToken</c> is cancelled (the fetch timeout). Thread-safe.
/// </remarks>
public interface IDiscoverySource
{
    /// <summary>The targets for <paramref name="client"/> of <paramref name="service"/>; the TTL of a success is ignored (the cache sets it).</summary>
    Task<CacheFill<IReadOnlyList<TargetOptions>>> FetchAsync(string service, IPAddress client, CancellationToken cancellationToken);
}

/// <summary>A discovery cache key: one service, one client address (IPv4-mapped IPv6 folded to IPv4).</summary>
public readonly record struct DiscoveryKey(string Service, IPAddress Client);
