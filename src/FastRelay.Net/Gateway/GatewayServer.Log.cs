using System.Net;
using Microsoft.Extensions.Logging;

namespace FastRelay.Gateway;

internal sealed partial class GatewayServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 694, EventName = "GatewayEdgeConnected", Level = LogLevel.Information,
            Message = "Tunnel from edge {Edge} ({Name}, key {Key}) authenticated; {Connections} tunnels open")]
        public static partial void EdgeConnected(ILogger logger, IPEndPoint edge, string name, string key, int connections);

        [LoggerMessage(EventId = 695, EventName = "GatewayEdgeDisconnected", Level = LogLevel.Information,
            Message = "Tunnel from edge {Edge} closed: {Reason}; it carried {Streams} streams; {Connections} tunnels open")]
        public static partial void EdgeDisconnected(ILogger logger, IPEndPoint edge, string reason, long streams, int connections);

        // At most one a second at Information (a scan or a misconfigured edge would flood the log), the rest at Debug.
        [LoggerMessage(EventId = 696, EventName = "GatewayHandshakeFailed", Level = LogLevel.Information,
            Message = "Tunnel from {Edge} refused: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, IPEndPoint edge, string reason);

        [LoggerMessage(EventId = 697, EventName = "GatewayHandshakeFailedAgain", Level = LogLevel.Debug,
            Message = "Tunnel from {Edge} refused: {Reason}")]
        public static partial void HandshakeFailedAgain(ILogger logger, IPEndPoint edge, string reason);

        [LoggerMessage(EventId = 698, EventName = "GatewayConnectionRefused", Level = LogLevel.Warning,
            Message = "Connection from {Edge} closed before the handshake: {Detail}")]
        public static partial void Refused(ILogger logger, IPEndPoint edge, string detail);

        [LoggerMessage(EventId = 699, EventName = "GatewayDraining", Level = LogLevel.Information,
            Message = "Draining: GOAWAY to {Connections} tunnels, {Streams} streams open, up to {DrainSeconds} s")]
        public static partial void Draining(ILogger logger, int connections, int streams, double drainSeconds);

        [LoggerMessage(EventId = 689, EventName = "GatewayDrainDeadlinePassed", Level = LogLevel.Warning,
            Message = "Drain deadline passed with {Connections} tunnels still open; closing them")]
        public static partial void DrainDeadlinePassed(ILogger logger, int connections);
    }
}
