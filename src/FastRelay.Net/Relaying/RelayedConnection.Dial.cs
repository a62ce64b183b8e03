using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Upstreams;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    /// <inheritdoc />
    bool IDialGuard.Allows(IPEndPoint upstream)
    {
        _lastDialled = upstream;
        var decision = _clientAddress is null ? null : _policy?.CheckOutbound(_clientAddress, upstream, _service, Id, _identity);
        if (decision is not { IsAllowed: false } denied)
        {
            _outboundAllowed = decision;
            _attemptAllowed = upstream;
            return true;
        }

        _outboundDenial = denied;
        return false;
    }

    /// <summary>
    /// Step 2: the picker's first choice, then up to <c>--retries</c> different targets (each failed candidate is
    /// excluded from the next pick), all within one <c>--connect-timeout</c>: a dial that failed before any byte was
    /// relayed is invisible to the client. A policy denial (the edge's Outbound rules, or the gateway's
    /// FORBIDDEN_TARGET) ends the dial: it would deny again.
    /// </summary>
    /// <remarks>
    /// Each attempt gets an equal share of the time left for the attempts still planned (5s, one retry: 2.5s, then
    /// what is left), so a black-holed target (SYN dropped) leaves time for the retry instead of eating the whole
    /// budget; a refused dial costs a round trip and hands its share on.
    /// </remarks>
    private async Task<(Socket? Socket, TargetOptions? Target)> DialAsync(string service, EdgeContext context)
    {
        var candidates = await CandidatesAsync(service, context); // The route's targets, or discovery's answer for this client.
        _tried.Clear();
        _backend = null;
        var deadline = context.Time.GetTimestamp() + (long)(context.Options.ConnectTimeout.TotalSeconds * context.Time.TimestampFrequency);
        var planned = Math.Min(1 + context.Options.Retries, candidates.Count);
        for (var attempt = 1; _relay.Reason is null && _tunnelRefusal is null; attempt++)
        {
            var pick = context.Picker.Pick(candidates, CollectionsMarshal.AsSpan(_tried));
            if (pick.Target is not { } target)
            {
                break;
            }

            var budget = DialBudget(context.Time, deadline) / Math.Max(1, planned - attempt + 1);
            if (budget <= TimeSpan.Zero)
            {
                break; // The connect timeout is spent (a pause between two attempts): no dial without time for it.
            }

            _tried.Add(target);
            _attemptAllowed = null;
            var backend = pick.Backend!;
            backend.DialStarted();
            var started = context.Time.GetTimestamp();
            DialResult result;
            try
            {
                result = await DialOneAsync(target, context, budget, context.Options.Retries - (attempt - 1));
            }
            catch
            {
                backend.DialAbandoned(); // A bug, not an outcome (the dialers never throw): keep the count true.
                throw;
            }

            if (result.Connected || _tunnelStream is not null)
            {
                _checkedUpstream = _attemptAllowed; // Null for a tunnel name: the gateway's rules decide it.
                backend.DialSucceeded(context.Time.GetElapsedTime(started));
                _backend = backend; // Outstanding until its relay winds down (EndBackendSession).
                return (result.Socket, target);
            }

            if (IsBackendFailure(target, result))
            {
                backend.DialFailed(context.Options.ConnectTimeout); // Counts towards its ejection (--eject-after) and into its connect EWMA.
            }
            else
            {
                backend.DialAbandoned();
            }

            Log.UpstreamDialFailed(context.Logger, Id, service, target, result.Failure);
            if (result.Denied || attempt >= planned || DialBudget(context.Time, deadline) <= TimeSpan.Zero)
            {
                break;
            }
        }

        return (null, null);
    }

    // A policy denial, a drain, or no gateway at all is not the backend's fault; a refused, timed-out or
    // unreachable connect is (a tunnel target's as the gateway reports it: CONNECT_REFUSED and the like).
    private bool IsBackendFailure(TargetOptions target, DialResult result) =>
        !result.Denied && _tunnelRefusal is null && _relay.Reason is null
        && (!target.ViaTunnel || result.Kind is DialFailureKind.Refused or DialFailureKind.TimedOut or DialFailureKind.Unreachable or DialFailureKind.NameNotResolved);

    private static TimeSpan DialBudget(TimeProvider time, long deadline) =>
        TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
}
