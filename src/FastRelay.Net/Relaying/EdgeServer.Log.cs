using System.Net;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using Microsoft.Extensions.Logging;

namespace FastRelay.Relaying;

public sealed partial class EdgeServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 503, EventName = nameof(EventIds.DryRunDecision), Level = LogLevel.Information,
            Message = "Connection {ConnectionId}: dry run: {Request} would be {WouldBe}; applied: {Enforced} (further ones this second at Debug)")]
        public static partial void DryRunDecision(ILogger logger, long connectionId, string request, FilterDecision wouldBe, string enforced);

        [LoggerMessage(EventId = 504, EventName = nameof(EventIds.DryRunDecisionAgain), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId}: dry run: {Request} would be {WouldBe}; applied: {Enforced}")]
        public static partial void DryRunDecisionAgain(ILogger logger, long connectionId, string request, FilterDecision wouldBe, string enforced);

        [LoggerMessage(EventId = 2, EventName = nameof(EventIds.Stopping), Level = LogLevel.Information,
            Message = "Stopped accepting; draining {Active} open connections for up to {DrainSeconds} s")]
        public static partial void Draining(ILogger logger, int active, double drainSeconds);

        [LoggerMessage(EventId = 4, EventName = nameof(EventIds.DrainDeadlinePassed), Level = LogLevel.Warning,
            Message = "Drain deadline passed; closing {Active} connections")]
        public static partial void DrainDeadlinePassed(ILogger logger, int active);

        [LoggerMessage(EventId = 201, EventName = nameof(EventIds.ConnectionRefusedAtLimit), Level = LogLevel.Warning,
            Message = "Connection {ConnectionId} from {Client} refused: {MaxConnections} connections are open (--max-connections); further refusals this second are logged at Debug")]
        public static partial void ConnectionRefusedAtLimit(ILogger logger, long connectionId, EndPoint? client, int maxConnections);

        [LoggerMessage(EventId = 203, EventName = nameof(EventIds.ConnectionRefusedAtLimitAgain), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} from {Client} refused: at the connection limit")]
        public static partial void ConnectionRefusedAtLimitAgain(ILogger logger, long connectionId, EndPoint? client);

        [LoggerMessage(EventId = 204, EventName = nameof(EventIds.ConnectionRefusedAtSourceLimit), Level = LogLevel.Warning,
            Message = "Connection {ConnectionId} from {Client} refused: {MaxPerSource} connections are open from this address (--max-connections-per-source); further refusals this second are logged at Debug")]
        public static partial void ConnectionRefusedAtSourceLimit(ILogger logger, long connectionId, EndPoint? client, int maxPerSource);

        [LoggerMessage(EventId = 205, EventName = nameof(EventIds.ConnectionRefusedAtSourceLimitAgain), Level = LogLevel.Debug,
            Message = "Connection {ConnectionId} from {Client} refused: at the per-source connection limit")]
        public static partial void ConnectionRefusedAtSourceLimitAgain(ILogger logger, long connectionId, EndPoint? client);

        [LoggerMessage(EventId = 202, EventName = nameof(EventIds.ConnectionUnexpectedError), Level = LogLevel.Error,
            Message = "Connection {ConnectionId} failed unexpectedly")]
        public static partial void ConnectionUnexpectedError(ILogger logger, long connectionId, Exception exception);
    }
}
