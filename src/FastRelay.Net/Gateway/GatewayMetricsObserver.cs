using FastRelay.Diagnostics;
using FastRelay.Observing;

namespace FastRelay.Gateway;

/// <summary>
/// The gateway's metrics: every stream event goes to the edge's <see cref="MetricsObserver"/> (decisions, closes by
/// reason, bytes, dial and session times) except tunnel handshakes, which are not TLS handshakes and are counted
/// in <c>fastrelay_tunnel_handshakes_total</c> instead.
/// </summary>
internal sealed class GatewayMetricsObserver(RelayMetrics metrics) : IConnectionObserver
{
    private readonly MetricsObserver _inner = new(metrics);

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent connectionEvent)
    {
        if (connectionEvent.Checkpoint != Checkpoint.Handshake)
        {
            _inner.OnEvent(connectionEvent);
        }
        else if (!connectionEvent.Allowed)
        {
            metrics.ConnectionClosed(connectionEvent.Reason ?? CloseReason.TunnelAuthFailed);
        }
    }
}
