using System.Runtime.CompilerServices;
using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Relaying;

/// <summary>Which candidate list a connection's dial picks from (README "Service discovery").</summary>
internal sealed partial class RelayedConnection
{
    // One schedule per discovery answer, dropped with the answer: the cache hands out the same list instance while
    // an answer lasts, so this costs one lookup per connection. The balancing picker replaces it (routing-contract.md).
    private static readonly ConditionalWeakTable<IReadOnlyList<TargetOptions>, TargetSelector> DiscoveredSelectors = new();

    /// <summary>
    /// The route's selector, or, when the route uses discovery, one over the answer for this client (synchronously
    /// when cached; the route's own targets are the default backends when discovery has no answer).
    /// </summary>
    private ValueTask<TargetSelector> CandidatesAsync(string service, EdgeContext context)
    {
        var route = context.Routes[service];
        if (context.Discovery is not { } discovery || _clientAddress is null || !discovery.Covers(service))
        {
            return new ValueTask<TargetSelector>(route);
        }

        var candidates = discovery.CandidatesAsync(service, _clientAddress, route.Targets);
        return candidates.IsCompletedSuccessfully
            ? new ValueTask<TargetSelector>(SelectorFor(candidates.Result, route))
            : WaitForCandidatesAsync(candidates, route);
    }

    private static async ValueTask<TargetSelector> WaitForCandidatesAsync(ValueTask<IReadOnlyList<TargetOptions>> candidates, TargetSelector route) =>
        SelectorFor(await candidates, route);

    private static TargetSelector SelectorFor(IReadOnlyList<TargetOptions> candidates, TargetSelector route) =>
        ReferenceEquals(candidates, route.Targets) ? route : DiscoveredSelectors.GetValue(candidates, static list => new TargetSelector(list));
}
