namespace FastRelay.Audit;

/// <summary>
/// Where audit records end up (SQLite, PostgreSQL, JSON lines). Called by one writer thread only, never on
/// a connection's flow, so implementations may block on I/O and need not be thread-safe.
/// </summary>
/// <remarks>
/// Contract: <see cref="Write"/> stores the whole batch durably and returns, or throws (the database is
/// unreachable, the disk is full) having stored all, part or none of it; the writer then spools the batch and
/// writes it again later. So a sink must be idempotent by <see cref="AuditRecord.RecordId"/> (the database
/// sinks ignore a record id they already hold), and must reconnect by itself on the next call after a
/// failure. Creating or migrating the schema happens on the first call that reaches the store.
/// </remarks>
internal interface IAuditSink : IDisposable
{
    /// <summary>Stores <paramref name="batch"/> durably, in one transaction where the store has them.</summary>
    /// <exception cref="Exception">The store could not be reached or refused the batch; the writer classifies and retries.</exception>
    void Write(ReadOnlySpan<AuditRecord> batch);
}
