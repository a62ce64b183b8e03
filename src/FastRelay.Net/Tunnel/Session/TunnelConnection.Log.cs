using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 650, EventName = nameof(TunnelEventIds.TunnelStarted), Level = LogLevel.Debug,
            Message = "Tunnel {Peer} started as {Role}")]
        public static partial void Started(ILogger logger, string peer, string role);

        // The one summary line per tunnel connection (STYLE H6).
        [LoggerMessage(EventId = 651, EventName = nameof(TunnelEventIds.TunnelClosed), Level = LogLevel.Information,
            Message = "Tunnel {Peer} closed: {Reason}; {StreamsOpened} streams, epoch {Epoch}, {RecordsSent} records sent, {RecordsReceived} received")]
        public static partial void Closed(ILogger logger, string peer, string reason, long streamsOpened, uint epoch, ulong recordsSent, ulong recordsReceived);

        // Every hostile-input row of §4.10 that is not a crypto failure ends here, with its reason.
        [LoggerMessage(EventId = 652, EventName = nameof(TunnelEventIds.TunnelProtocolViolation), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: {Code}: {Reason}; closing")]
        public static partial void ProtocolViolation(ILogger logger, string peer, TunnelErrorCode code, string reason);

        [LoggerMessage(EventId = 653, EventName = nameof(TunnelEventIds.TunnelRecordAuthenticationFailed), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: record #{Record} authentication failed (tampered, replayed, reordered, dropped or spliced); closing")]
        public static partial void RecordAuthenticationFailed(ILogger logger, string peer, ulong record);

        [LoggerMessage(EventId = 654, EventName = nameof(TunnelEventIds.TunnelTruncated), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: truncation: {Detail}")]
        public static partial void Truncated(ILogger logger, string peer, string detail);

        [LoggerMessage(EventId = 655, EventName = nameof(TunnelEventIds.TunnelDead), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: nothing received for {SilenceMs:0} ms ({Misses} ping intervals): dead, resetting {Streams} streams")]
        public static partial void Dead(ILogger logger, string peer, double silenceMs, int misses, int streams);

        [LoggerMessage(EventId = 656, EventName = nameof(TunnelEventIds.TunnelGoAwayReceived), Level = LogLevel.Information,
            Message = "Tunnel {Peer}: GOAWAY received: last stream {LastStreamId}, {Code}: {Debug}")]
        public static partial void GoAwayReceived(ILogger logger, string peer, uint lastStreamId, TunnelErrorCode code, string debug);

        [LoggerMessage(EventId = 657, EventName = nameof(TunnelEventIds.TunnelRekeyed), Level = LogLevel.Debug,
            Message = "Tunnel {Peer}: rekeyed to epoch {Epoch}")]
        public static partial void Rekeyed(ILogger logger, string peer, uint epoch);

        [LoggerMessage(EventId = 659, EventName = nameof(TunnelEventIds.TunnelFlood), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: flood of {Kind}: ENHANCE_YOUR_CALM; closing")]
        public static partial void Flood(ILogger logger, string peer, string kind);

        [LoggerMessage(EventId = 660, EventName = nameof(TunnelEventIds.TunnelAcceptorFailed), Level = LogLevel.Error,
            Message = "Tunnel {Peer}: stream {StreamId} to {Target}: the acceptor failed unexpectedly")]
        public static partial void AcceptorFailed(ILogger logger, string peer, uint streamId, TunnelTarget target, Exception exception);

        [LoggerMessage(EventId = 661, EventName = nameof(TunnelEventIds.TunnelDrainDeadlinePassed), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: drain deadline passed; resetting {Streams} streams with SHUTTING_DOWN")]
        public static partial void DrainDeadlinePassed(ILogger logger, string peer, int streams);

        [LoggerMessage(EventId = 662, EventName = nameof(TunnelEventIds.TunnelSocketOptionFailed), Level = LogLevel.Debug,
            Message = "Tunnel {Peer}: socket option {Option} not set: {Error}")]
        public static partial void SocketOptionFailed(ILogger logger, string peer, string option, string error);

        [LoggerMessage(EventId = 663, EventName = nameof(TunnelEventIds.TunnelUnexpectedError), Level = LogLevel.Error,
            Message = "Tunnel {Peer}: {Loop} failed unexpectedly")]
        public static partial void UnexpectedError(ILogger logger, string peer, string loop, Exception exception);

        [LoggerMessage(EventId = 664, EventName = nameof(TunnelEventIds.TunnelStreamRefused), Level = LogLevel.Debug,
            Message = "Tunnel {Peer}: OPEN of stream {StreamId} refused: {Reason}")]
        public static partial void StreamRefused(ILogger logger, string peer, uint streamId, string reason);

        [LoggerMessage(EventId = 665, EventName = nameof(TunnelEventIds.TunnelRecheckFailed), Level = LogLevel.Warning,
            Message = "Tunnel {Peer}: peer no longer accepted after the rekey to epoch {Epoch}: {Reason}; closing with AUTH_FAILED")]
        public static partial void RecheckFailed(ILogger logger, string peer, uint epoch, string reason);
    }
}
