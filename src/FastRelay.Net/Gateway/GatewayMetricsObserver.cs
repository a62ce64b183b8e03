using FastRelay.Diagnostics;
using FastRelay.Observing;

namespace FastRelay.Gateway;

/// <summary>
/// The gateway's metrics: every stream event goes to the edge's <see cref="MetricsObserver"/> (decisions, closes by
/// reason, bytes, dial and session times) except tunnel handshakes, which are not TLS handshakes and are counted
/// in <c>fastrelay_tunnel_handshakes_total</c> (by outcome) instead.
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
            _inner.OnEvent(connectionEvent);
        }
        else
        {
            // Labelled by the bound address, as fastrelay_tunnel_connections is; formatted once.
            _gateway ??= connectionEvent.Listener?.ToString() ?? "";
            metrics.TunnelHandshake(_gateway, connectionEvent.Allowed);
            if (!connectionEvent.Allowed)
            {
                metrics.ConnectionClosed(connectionEvent.Reason ?? CloseReason.TunnelAuthFailed);
            }
        }
    }
}
