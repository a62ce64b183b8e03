using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Session;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>Builds the edge's <see cref="TunnelPool"/> from its options and identity, wired to the metrics.</summary>
internal static class EdgeTunnel
{
    /// <summary>The pool (not started: call <see cref="TunnelPool.Start"/> before the listeners accept).</summary>
    public static TunnelPool Create(EdgeTunnelOptions options, KeyPair localStatic, TunnelAuthentication gateways, string? nodeName, TimeSpan drainTimeout,
        ILoggerFactory loggerFactory, TimeProvider time, RelayMetrics? metrics)
    {
        var connectionOptions = ConnectionOptions(options.Session, drainTimeout);
        var dialer = new TunnelLinkDialer(localStatic, gateways, connectionOptions, options.ConnectTimeout, nodeName, loggerFactory.CreateLogger("FastRelay.Tunnel"), time);
        var policy = new PoolPolicyOptions(options.WarmConnections, options.Keepalive, options.KeepaliveTimeout, options.KeepaliveRequests, options.Session.MaxStreams);
        var events = new TunnelPoolEvents
        {
            StreamOpened = metrics is null ? null : metrics.TunnelStreamOpened,
            OnRekeyed = metrics is null ? null : metrics.TunnelRekeyed,
            OnHandshake = metrics is null ? null : metrics.TunnelHandshake,
            OnRefused = metrics is null ? null : metrics.TunnelHandshakeRefused,
            OnPinged = metrics is null ? null : metrics.TunnelPinged,
        };

        // Random spreads redials (jitter) and samples the two gateways of each choice, from every session's thread at
        // once: Random.Shared is the thread-safe instance (a plain Random shared across threads can decay to zeros).
        return new TunnelPool(options.Gateways, dialer, policy, options.ConnectTimeout, time, Random.Shared, loggerFactory.CreateLogger("FastRelay.TunnelPool"), events);
    }

    /// <summary>The session settings both roles derive from the shared flags.</summary>
    public static TunnelConnectionOptions ConnectionOptions(TunnelSessionOptions session, TimeSpan drainTimeout) => new()
    {
        MaxStreams = session.MaxStreams,
        PingInterval = session.PingInterval,
        RekeyInterval = session.RekeyInterval,
        DrainTimeout = drainTimeout,
    };
}
