using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.RateLimiting;
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

        [LoggerMessage(EventId = 500, EventName = nameof(EventIds.ConnectionDenied), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: FilterDenied at {Checkpoint}; service {Service}, client {Client}, listener {Listener}: {Decision}")]
        public static partial void ConnectionDenied(ILogger logger, long connectionId, string checkpoint, string service, IPEndPoint? client,
            IPEndPoint? listener, FilterDecision decision);

        [LoggerMessage(EventId = 510, EventName = nameof(EventIds.ConnectionRateLimited), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} closed: RateLimited ({Decision}); service {Service}, client {Client}")]
        public static partial void ConnectionRateLimited(ILogger logger, long connectionId, string service, IPEndPoint client, RateDecision decision);

        [LoggerMessage(EventId = 300, EventName = nameof(EventIds.UpstreamDialFailed), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: dial to {Upstream} for service {Service} failed: {Failure}")]
        public static partial void UpstreamDialFailed(ILogger logger, long connectionId, string service, TargetOptions upstream, string? failure);
    }
}
