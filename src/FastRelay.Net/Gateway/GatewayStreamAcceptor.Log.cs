using System.Net;
using FastRelay.Diagnostics;
using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Gateway;

internal sealed partial class GatewayStreamAcceptor
{
    private static partial class Log
    {
        // Information, not Debug: a denied target is a security event an operator looks for (an edge probing for SSRF).
        // At most once a second, though: an edge's client could otherwise write the log as fast as it sends OPENs.
        [LoggerMessage(EventId = 690, EventName = "GatewayStreamDenied", Level = LogLevel.Information,
            Message = "Stream {ConnectionId} refused: FORBIDDEN_TARGET {Target}; edge {Edge}, client {Client}: {Decision} (logged at most once a second, the others at Debug)")]
        public static partial void StreamDenied(ILogger logger, long connectionId, TunnelTarget target, IPEndPoint edge, IPEndPoint client, object decision);

        [LoggerMessage(EventId = 679, EventName = "GatewayStreamDeniedAgain", Level = LogLevel.Debug,
            Message = "Stream {ConnectionId} refused: FORBIDDEN_TARGET {Target}; edge {Edge}, client {Client}: {Decision}")]
        public static partial void StreamDeniedAgain(ILogger logger, long connectionId, TunnelTarget target, IPEndPoint edge, IPEndPoint client, object decision);

        [LoggerMessage(EventId = 691, EventName = "GatewayStreamRefused", Level = LogLevel.Debug,
            Message = "Stream {ConnectionId} refused: {Error} {Target}; edge {Edge}: {Failure}")]
        public static partial void StreamRefused(ILogger logger, long connectionId, TunnelErrorCode error, TunnelTarget target, IPEndPoint edge, string failure);

        [LoggerMessage(EventId = 692, EventName = "GatewayStreamClosed", Level = LogLevel.Debug,
            Message = "Stream {ConnectionId} closed: {CloseReason}; target {Target} ({Destination}), edge {Edge}, client {Client}, {BytesClientToUpstream} bytes up, {BytesUpstreamToClient} bytes down, {DurationMs:0.0} ms")]
        public static partial void StreamClosed(ILogger logger, long connectionId, CloseReason closeReason, TunnelTarget target, IPEndPoint? destination, IPEndPoint edge,
            IPEndPoint client, long bytesClientToUpstream, long bytesUpstreamToClient, double durationMs);

        [LoggerMessage(EventId = 693, EventName = "GatewayStreamCancelled", Level = LogLevel.Debug,
            Message = "Stream {ConnectionId}: the edge reset the OPEN for {Target} while it was dialled; edge {Edge}")]
        public static partial void StreamCancelled(ILogger logger, long connectionId, TunnelTarget target, IPEndPoint edge);

        [LoggerMessage(EventId = 685, EventName = "GatewayStreamLimited", Level = LogLevel.Warning,
            Message = "Stream {ConnectionId} refused: REFUSED_STREAM {Target}; edge {Edge}: {Why} (logged at most once a second; every refusal is in the audit log)")]
        public static partial void StreamLimited(ILogger logger, long connectionId, TunnelTarget target, IPEndPoint edge, string why);
    }
}
