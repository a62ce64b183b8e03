using System.Diagnostics.Metrics;
using FastRelay.Admin;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Tunnel.Pool;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>The edge's tunnel pool and its hooks (docs/operating.md, "Hooks"): metrics, /readyz gateways, /status gateways.</summary>
internal static partial class EdgeHost
{
    /// <summary>The pool for an edge with <c>--gateway</c> (not started yet); null without one.</summary>
    private static TunnelPool? CreateTunnelPool(EdgeOptions options, LoadedTunnelIdentity? identity, ILoggerFactory loggerFactory, RelayMetrics? metrics, AdminState state)
    {
        if (options.Tunnel is not { } tunnel || identity is null)
        {
            return null;
        }

        var pool = EdgeTunnel.Create(tunnel, identity.LocalStatic, identity.Peers, options.Audit.Node ?? Environment.MachineName, options.DrainTimeout,
            loggerFactory, TimeProvider.System, metrics);
        if (metrics is not null)
        {
            metrics.ObserveTunnelConnections(() => TunnelConnections(pool));
        }

        // Ready only while some gateway can take a stream: an edge whose only gateway is gone should leave the load balancer.
        state.ReadinessChecks.Add(new DelegateReadinessCheck("gateways", () => (pool.Reachable > 0, $"{pool.Reachable} of {pool.Gateways.Count} reachable")));
        state.Gateways.Add(() => pool.Gateways.Select(g => new GatewayStatus(g.Name, g.IsReachable,
            $"{g.Connections} connections{(g.DrainingConnections > 0 ? $" (and {g.DrainingConnections} draining)" : "")}, {g.OpenStreams} streams, {g.Handshakes} handshakes{(g.PingRtt is { } rtt ? $", ping {rtt.TotalMilliseconds:0.0} ms" : "")}{(g.LastFailure is { } f ? $", last dial failed: {f}" : "")}")));
        return pool;
    }

    // fastrelay_tunnel_connections{gateway}: read at each scrape.
    private static IEnumerable<Measurement<long>> TunnelConnections(TunnelPool pool) =>
        pool.Gateways.Select(g => new Measurement<long>(g.Connections + g.DrainingConnections, new KeyValuePair<string, object?>("gateway", g.Name)));
}
