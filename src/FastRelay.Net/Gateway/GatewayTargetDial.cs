using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Tunnel.Frames;
using FastRelay.Upstreams;

namespace FastRelay.Gateway;

/// <summary>
/// The gateway's decision on one stream's target: the Outbound rules on every resolved address (source = the
/// original client the edge names in OPEN, or the edge itself), then the dial with the timeout. Both are the
/// edge's own pieces (<see cref="PolicyGate"/>, <see cref="IUpstreamDialer"/>), so an exit enforces exactly
/// what the edge would.
/// </summary>
/// <remarks>One instance per stream (it is the dial guard, and remembers what it decided). Not thread-safe.</remarks>
internal sealed class GatewayTargetDial(PolicyGate policy, IPAddress client, string service, long streamId) : IDialGuard
{
    /// <summary>The deciding rule of the last allow (null without a policy).</summary>
    public FilterDecision? Allowed { get; private set; }

    /// <summary>The denial, when every address was denied.</summary>
    public FilterDecision? Denied { get; private set; }

    /// <summary>The last address checked (the destination of the audit record).</summary>
    public IPEndPoint? Destination { get; private set; }

    /// <summary>
    /// Decides and dials. A named route (kind 0x10) is not served by this version's gateways: refused as
    /// FORBIDDEN_TARGET, like any target the rules do not allow.
    /// </summary>
    public async Task<(Socket? Socket, TunnelErrorCode Error, string? Failure)> DialAsync(TunnelTarget target, IUpstreamDialer dialer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (target.Kind == TunnelTargetKind.NamedRoute || target.Port == 0)
        {
            return (null, TunnelErrorCode.ForbiddenTarget, "named routes are not served by this gateway; send HOST:PORT");
        }

        var result = await dialer.DialAsync(new TargetOptions(target.Host, target.Port, 1), timeout, this, cancellationToken);
        if (result.Connected)
        {
            return (result.Socket, TunnelErrorCode.NoError, null);
        }

        var code = result.Kind switch
        {
            DialFailureKind.Denied => TunnelErrorCode.ForbiddenTarget,
            DialFailureKind.Refused => TunnelErrorCode.ConnectRefused,
            DialFailureKind.TimedOut => cancellationToken.IsCancellationRequested ? TunnelErrorCode.Cancel : TunnelErrorCode.ConnectTimeout,
            DialFailureKind.NameNotResolved => TunnelErrorCode.DnsFailure,
            _ => TunnelErrorCode.Unreachable,
        };
        // Cut short by the edge (it reset the stream: its own connect timeout, or its client left), not the dial's timeout.
        return (null, code, code == TunnelErrorCode.Cancel ? "the edge cancelled the stream while its target was being dialled" : result.Failure);
    }

    /// <inheritdoc />
    bool IDialGuard.Allows(IPEndPoint upstream)
    {
        Destination = upstream;
        var decision = policy.CheckOutbound(client, upstream, service, streamId);
        if (decision is { IsAllowed: false })
        {
            Denied = decision;
            return false;
        }

        Allowed = decision;
        return true;
    }
}
