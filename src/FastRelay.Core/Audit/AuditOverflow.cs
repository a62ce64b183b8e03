namespace FastRelay.Audit;

/// <summary>What happens to a record when the audit queue is full (<c>--audit-overflow</c>).</summary>
public enum AuditOverflow
{
    /// <summary>
    /// The default: the record is appended to the local spool at once (a buffered write under a lock, on the
    /// connection's flow; fsynced with the writer's next batch) and replayed like any spooled record. Counted
    /// as <c>Overflowed</c> and <c>Spooled</c>. Nothing is lost.
    /// </summary>
    Spool,

    /// <summary>The record is dropped and counted (<c>Dropped</c>). For sites that prefer speed to completeness.</summary>
    Drop,

    /// <summary>The connection waits until the writer makes room: the audit log then paces the relay.</summary>
    Block,
}
