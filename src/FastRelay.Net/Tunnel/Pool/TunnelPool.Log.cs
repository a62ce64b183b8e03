using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

internal sealed partial class TunnelPool
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 687, EventName = "TunnelOpenRetried", Level = LogLevel.Debug,
            Message = "Tunnel to {Gateway}: connection {LinkId} did not take the stream ({Error}); trying another")]
        public static partial void OpenRetried(ILogger logger, string gateway, long linkId, TunnelErrorCode error);
    }
}

internal sealed partial class GatewayPool
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 680, EventName = "TunnelConnected", Level = LogLevel.Debug,
            Message = "Tunnel to {Gateway}: connection {LinkId} up ({Connections} in the pool)")]
        public static partial void Connected(ILogger logger, string gateway, long linkId, int connections);

        // Warning: a gateway that cannot be reached (or refuses our key) is a degraded state an operator must see.
        [LoggerMessage(EventId = 681, EventName = "TunnelDialFailed", Level = LogLevel.Warning,
            Message = "Tunnel to {Gateway}: dial failed ({Reason}); failure {Failures} in a row, next try in {DelayMs:0} ms")]
        public static partial void DialFailed(ILogger logger, string gateway, string reason, int failures, double delayMs);

        [LoggerMessage(EventId = 682, EventName = "TunnelLost", Level = LogLevel.Information,
            Message = "Tunnel to {Gateway}: connection {LinkId} closed ({Reason}; {Connections} left); replacing it")]
        public static partial void Lost(ILogger logger, string gateway, long linkId, string reason, int connections);

        [LoggerMessage(EventId = 683, EventName = "TunnelRecycled", Level = LogLevel.Debug,
            Message = "Tunnel to {Gateway}: connection {LinkId} drained after {Streams} streams (--keepalive-requests); replacing it")]
        public static partial void Recycled(ILogger logger, string gateway, long linkId, long streams);

        [LoggerMessage(EventId = 684, EventName = "TunnelReaped", Level = LogLevel.Debug,
            Message = "Tunnel to {Gateway}: idle connection {LinkId} closed after {IdleSeconds:0.0} s")]
        public static partial void Reaped(ILogger logger, string gateway, long linkId, double idleSeconds);
    }
}
