using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.Observing;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    /// <summary>Detail of the audit row of a connection closed by a re-check.</summary>
    internal const string RecheckDetail = "re-checked after a policy reload";

    private const string InboundRechecked = "Inbound (" + RecheckDetail + ")";
    private const string OutboundRechecked = "Outbound (" + RecheckDetail + ")";

    /// <summary>
    /// <c>--recheck-established</c>, after a policy reload: decides this connection again with the new policy, with
    /// what it was decided on before (the Inbound rules with its client, listener, identity and route; the Outbound
    /// rules with the upstream it dialled), and closes it (FilterDenied) with one denial event when either denies.
    /// Only a connection whose relay runs: one still being set up meets the new policy on its way. Called from the
    /// reload's thread; the fields it reads were written before the relay started.
    /// </summary>
    /// <returns>True when the connection was closed.</returns>
    internal bool RecheckPolicy(EdgeContext context)
    {
        if (!_relaying || _clientAddress is not { } client || _localEndPoint is not { } listener || _relay.Reason is not null)
        {
            return false;
        }

        var (service, identity) = (_service, _identity);
        var checkpoint = Checkpoint.Inbound;
        FilterDecision? denied = context.Policy.CheckAfterHandshake(client, listener, service, identity, Id) is { IsAllowed: false } inbound ? inbound : null;
        if (denied is null && _lastDialled is { } upstream
            && context.Policy.CheckOutbound(client, upstream, service, Id, identity) is { IsAllowed: false } outbound)
        {
            (denied, checkpoint) = (outbound, Checkpoint.Outbound);
        }

        if (denied is not { } decision || !_relay.TryClose(CloseReason.FilterDenied))
        {
            return false;
        }

        context.Observer.OnEvent(new ConnectionEvent(Id, context.Time.GetUtcNow(), checkpoint, Allowed: false, _clientEndPoint, listener, service,
            Destination: checkpoint == Checkpoint.Outbound ? _lastDialled : null, Rule: decision.Rule, Identity: identity, CertificateSha256: _certificateSha256,
            Reason: CloseReason.FilterDenied, Detail: RecheckDetail));
        Log.ConnectionDenied(context.Logger, Id, checkpoint == Checkpoint.Inbound ? InboundRechecked : OutboundRechecked, service, _clientEndPoint, listener, decision);
        return true;
    }
}
