using System.Net;
using FastRelay.Configuration;
using FastRelay.Tunnel.Frames;
using FastRelay.Upstreams;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    /// <summary>
    /// Step 2 for one target: a direct target is dialled over TCP; a <c>tunnel:</c> target becomes a stream through
    /// the gateway pool (OPEN with the client's address), which sets <c>_tunnelStream</c> on success. Never throws.
    /// </summary>
    /// <remarks>
    /// <paramref name="retriesLeft"/>: the <c>--retries</c> this session has not used yet. The pool moves a tunnel
    /// stream to another gateway (at most once) only while one is left, so the last attempt is never doubled: with
    /// <c>--retries 1</c> and two <c>tunnel:</c> targets a session makes at most three OPENs, not four.
    /// </remarks>
    private ValueTask<DialResult> DialOneAsync(TargetOptions target, EdgeContext context, TimeSpan timeout, int retriesLeft) =>
        target.ViaTunnel
            ? OpenTunnelStreamAsync(target, context, timeout, retriesLeft)
            : context.Dialer.DialAsync(target, timeout, this, CancellationToken.None);

    private async ValueTask<DialResult> OpenTunnelStreamAsync(TargetOptions target, EdgeContext context, TimeSpan timeout, int retriesLeft)
    {
        if (context.Tunnel is not { } pool)
        {
            return new DialResult(null, "no gateway is configured for tunnel: targets"); // The options reader refuses this; kept for safety.
        }

        // The edge's own Outbound check, as far as it can: on an IP literal. A name is resolved by the gateway,
        // in the exit's network, and checked there against the gateway's Outbound rules on every address.
        if (IPAddress.TryParse(target.Host, out var literal) && !((IDialGuard)this).Allows(new IPEndPoint(ReachedAddress.Of(literal), target.Port)))
        {
            return new DialResult(null, "denied by the security-group policy", Denied: true, Kind: DialFailureKind.Denied);
        }

        var opened = await pool.OpenStreamAsync(TunnelTarget.ForHost(target.Host, target.Port, _clientEndPoint), timeout, CancellationToken.None,
            gatewayRetries: Math.Min(retriesLeft, 1));
        if (opened.Stream is { } stream)
        {
            if (_relay.Reason is not null)
            {
                // Closed (drain) while the stream was being opened: give it back at once.
                stream.Abort();
                stream.Dispose();
                return new DialResult(null, "closed while the stream was being opened");
            }

            _tunnelStream = stream;
            return default;
        }

        // Timeout is ours (no OPEN_OK within --connect-timeout; the stream is cancelled), never the gateway's refusal.
        var failure = opened.Detail ?? (opened.Error == TunnelErrorCode.Timeout
            ? $"gateway {opened.Gateway} did not answer the stream's OPEN within the connect timeout ({ValueSyntax.FormatDuration(timeout)})"
            : $"gateway {opened.Gateway} refused the stream: {opened.Error}");
        if (opened.Error == TunnelErrorCode.ForbiddenTarget)
        {
            // A denial ends the dial: the other targets are not tried (as for the edge's own Outbound denial).
            _tunnelRefusal = $"{target} refused by gateway {opened.Gateway}: FORBIDDEN_TARGET (its Outbound rules)";
        }

        return new DialResult(null, failure, Kind: opened.Detail is null ? KindOf(opened.Error) : DialFailureKind.None);
    }

    // The gateway's RST codes for a target it could not dial (tunnel.md §4.4), as the direct dialer's kinds:
    // the backend's fault, counted towards its ejection. Anything else (no room, REFUSED_STREAM) is the tunnel's.
    private static DialFailureKind KindOf(TunnelErrorCode error) => error switch
    {
        TunnelErrorCode.ConnectRefused => DialFailureKind.Refused,
        TunnelErrorCode.ConnectTimeout => DialFailureKind.TimedOut,
        TunnelErrorCode.Unreachable => DialFailureKind.Unreachable,
        TunnelErrorCode.DnsFailure => DialFailureKind.NameNotResolved,
        _ => DialFailureKind.None,
    };
}
