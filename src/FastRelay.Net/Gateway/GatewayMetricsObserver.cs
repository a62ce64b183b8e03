using FastRelay.Diagnostics;
using FastRelay.Observing;

namespace FastRelay.Gateway;

/// <summary>
/// The gateway's metrics: every stream event goes to the edge's <see cref="MetricsObserver"/> (decisions, closes by
/// reason, bytes, dial and session times) except tunnel handshakes, which are not TLS handshakes and are counted
/// in <c>fastrelay_tunnel_handshakes_total</c> (by outcome) instead; its "connections" are tunnel streams, plus the
/// tunnel connections it refuses.
/// </summary>
internal sealed class GatewayMetricsObserver(RelayMetrics metrics) : IConnectionObserver
{
    private readonly MetricsObserver _inner = new(metrics);
    private string? _gateway;

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent connectionEvent)
    {
        if (connectionEvent.Checkpoint != Checkpoint.Handshake)
        {
            // A gateway has no Inbound checkpoint: a stream's first event is its Outbound decision, or, for a target it
            // could not reach, its Close alone (as the edge records a failed dial); a tunnel connection refused by the
            // handshake rate is one RateLimit event. Each is where it counts as accepted, so that accepted - closed =
            // active as on the edge (operating.md).
            if (connectionEvent.Checkpoint is Checkpoint.Outbound or Checkpoint.RateLimit
                || (connectionEvent.Checkpoint == Checkpoint.Close && connectionEvent.Reason == CloseReason.UpstreamUnavailable))
            {
                metrics.ConnectionAccepted(connectionEvent.Service);
            }

            _inner.OnEvent(connectionEvent);
        }
        else
        {
            // Labelled by the bound address, as fastrelay_tunnel_connections is; formatted once.
            _gateway ??= connectionEvent.Listener?.ToString() ?? "";
            metrics.TunnelHandshake(_gateway, connectionEvent.Allowed);
            if (!connectionEvent.Allowed)
            {
                // A refused tunnel connection is accepted and closed at once, as the edge counts its refusals.
                metrics.ConnectionAccepted(connectionEvent.Service);
                metrics.ConnectionClosed(connectionEvent.Reason ?? CloseReason.TunnelAuthFailed);
            }
        }
    }
}
