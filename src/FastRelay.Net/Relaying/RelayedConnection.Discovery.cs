using FastRelay.Configuration;

namespace FastRelay.Relaying;

/// <summary>Which candidate list a connection's dial picks from (README "Service discovery").</summary>
internal sealed partial class RelayedConnection
{
    /// <summary>
    /// The route's targets, or, when the route uses discovery, the answer for this client (synchronously when
    /// cached; the route's own targets are the default backends when discovery has no answer). The picker keeps its
    /// per-backend state by identity, so a new answer does not reset what it learnt.
    /// </summary>
    private ValueTask<IReadOnlyList<TargetOptions>> CandidatesAsync(string service, EdgeContext context)
    {
        var targets = context.Routes[service].Targets;
        return context.Discovery is not { } discovery || _clientAddress is null || !discovery.Covers(service)
            ? new ValueTask<IReadOnlyList<TargetOptions>>(targets)
            : discovery.CandidatesAsync(service, _clientAddress, targets);
    }
}
