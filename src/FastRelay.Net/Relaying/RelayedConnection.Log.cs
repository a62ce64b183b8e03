using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

internal sealed partial class RelayedConnection
{
    private static partial class Log
    {
        // One line per connection, at its close, with everything an investigator needs (STYLE H6).
        [LoggerMessage(EventId = 200, EventName = nameof(EventIds.ConnectionClosed), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: {CloseReason}; service {Service}, client {Client}, upstream {Upstream}, {BytesClientToUpstream} bytes up, {BytesUpstreamToClient} bytes down, {DurationMs:0.0} ms")]
        public static partial void ConnectionClosed(ILogger logger, long connectionId, string service, IPEndPoint? client,
            TargetOptions? upstream, CloseReason closeReason, long bytesClientToUpstream, long bytesUpstreamToClient, double durationMs);

        [LoggerMessage(EventId = 300, EventName = nameof(EventIds.UpstreamDialFailed), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: dial to {Upstream} for service {Service} failed: {Failure}")]
        public static partial void UpstreamDialFailed(ILogger logger, long connectionId, string service, TargetOptions upstream, string? failure);
    }
}
