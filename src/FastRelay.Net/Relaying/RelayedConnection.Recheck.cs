using FastRelay.Diagnostics;
using FastRelay.Filtering;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    /// <summary>Detail of the close row of a connection closed by a re-check.</summary>
    internal const string RecheckDetail = "re-checked after a policy reload";

    private const string InboundRechecked = "Inbound (" + RecheckDetail + ")";
    private const string OutboundRechecked = "Outbound (" + RecheckDetail + ")";

    /// <summary>
    /// <c>--recheck-established</c>, after a policy reload: decides this connection again with the new policy, with
    /// what it was decided on before (the Inbound rules with its client, listener, identity and route; the Outbound
    /// rules with the upstream address they allowed for the dial that connected), and closes it (FilterDenied) when
    /// either denies. Its one close row then carries the deciding rule and <see cref="RecheckDetail"/>: one terminal
    /// event per connection, as for every other close. Only a connection whose relay runs; one still being set up was
    /// decided by the old policy. Called under the connection table's lock (ConnectionTable.ForEachLocked), so the
    /// connection cannot end and be reused for the next client while it is looked at.
    /// </summary>
    /// <returns>True when the connection was closed.</returns>
    internal bool RecheckPolicy(EdgeContext context)
    {
        if (!_relaying || _clientAddress is not { } client || _localEndPoint is not { } listener || _relay.Reason is not null)
        {
            return false;
        }

        var (service, identity) = (_service, _identity);
        var checkpoint = InboundRechecked;
        FilterDecision? denied = context.Policy.CheckAfterHandshake(client, listener, service, identity, Id) is { IsAllowed: false } inbound ? inbound : null;
        if (denied is null && _checkedUpstream is { } upstream
            && context.Policy.CheckOutbound(client, upstream, service, Id, identity) is { IsAllowed: false } outbound)
        {
            (denied, checkpoint) = (outbound, OutboundRechecked);
        }

        if (denied is not { } decision)
        {
            return false;
        }

        _recheckDenial = decision; // Before the close, so the close row finds it; read there only with reason FilterDenied.
        if (!_relay.TryClose(CloseReason.FilterDenied))
        {
            return false; // It was ending anyway, for its own reason.
        }

        Log.ConnectionDenied(context.Logger, Id, checkpoint, service, _clientEndPoint, listener, decision);
        return true;
    }
}
