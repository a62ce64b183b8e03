using Microsoft.Extensions.Logging;

namespace FastRelay.Audit;

/// <summary>The audit log's diagnostic log lines (ids 700-799, Diagnostics/EventIds.cs). Never one per record.</summary>
internal static partial class AuditLogMessages
{
    [LoggerMessage(EventId = 700, EventName = "AuditStarted", Level = LogLevel.Information,
        Message = "Audit log: {Target} (node {Node}, queue {Queue}, overflow {Overflow}, spool {Spool}); {SpoolBytes} bytes waiting in the spool")]
    public static partial void Started(ILogger logger, string target, string node, int queue, string overflow, string spool, long spoolBytes);

    [LoggerMessage(EventId = 701, EventName = "AuditSinkFailed", Level = LogLevel.Warning,
        Message = "Audit sink {Target} failed ({Error}); records go to the spool {Spool} and are replayed when it is back (retry in {RetryMs} ms)")]
    public static partial void SinkFailed(ILogger logger, string target, string error, string spool, double retryMs);

    [LoggerMessage(EventId = 702, EventName = "AuditSinkRecovered", Level = LogLevel.Information,
        Message = "Audit sink {Target} is back; the spool was replayed ({Replayed} records replayed so far)")]
    public static partial void SinkRecovered(ILogger logger, string target, long replayed);

    [LoggerMessage(EventId = 703, EventName = "AuditSpoolFailed", Level = LogLevel.Error,
        Message = "Audit spool {Spool} cannot be written; records are being lost (counted as dropped)")]
    public static partial void SpoolFailed(ILogger logger, string spool, Exception exception);

    [LoggerMessage(EventId = 704, EventName = "AuditStopped", Level = LogLevel.Information,
        Message = "Audit log stopped: {Written} written, {Spooled} spooled, {Replayed} replayed, {Dropped} dropped, {Overflowed} met a full queue, {WriteErrors} write errors, {SpoolCorrupt} damaged spool lines skipped; {SpoolBytes} bytes left in the spool")]
    public static partial void Stopped(ILogger logger, long written, long spooled, long replayed, long dropped, long overflowed, long writeErrors, long spoolCorrupt, long spoolBytes);

    [LoggerMessage(EventId = 705, EventName = "AuditFlushDeadlinePassed", Level = LogLevel.Warning,
        Message = "Audit flush took longer than {TimeoutSeconds} s; the records not yet written are left in the spool {Spool} for the next start")]
    public static partial void FlushDeadlinePassed(ILogger logger, double timeoutSeconds, string spool);

    [LoggerMessage(EventId = 706, EventName = "AuditSinkUnexpectedError", Level = LogLevel.Error,
        Message = "Audit sink {Target} failed unexpectedly; records go to the spool and are retried")]
    public static partial void SinkUnexpectedError(ILogger logger, string target, Exception exception);

    [LoggerMessage(EventId = 707, EventName = "AuditRecordsDropped", Level = LogLevel.Warning,
        Message = "Audit queue full: {Dropped} records dropped so far (--audit-overflow drop); this line repeats at most every {IntervalSeconds} s while records are dropped")]
    public static partial void RecordsDropped(ILogger logger, long dropped, int intervalSeconds);

    [LoggerMessage(EventId = 708, EventName = "AuditSpoolLinesSkipped", Level = LogLevel.Warning,
        Message = "Audit spool {Spool}: {Skipped} damaged lines skipped in this replay (a write torn by a crash, a bad checksum, a segment deleted under us); {Total} so far")]
    public static partial void SpoolLinesSkipped(ILogger logger, string spool, long skipped, long total);
}
