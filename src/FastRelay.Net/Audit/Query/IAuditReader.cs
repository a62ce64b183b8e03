namespace FastRelay.Audit.Query;

/// <summary>Reads records back from a sink for <c>fastrelay audit query</c>. Opens nothing it would have to create.</summary>
internal interface IAuditReader
{
    /// <summary>The records matching <paramref name="query"/>, newest first, each record id once.</summary>
    /// <exception cref="AuditReadException">The store is missing or unreachable; the message says which and why.</exception>
    IReadOnlyList<StoredRecord> Query(AuditQuery query);
}
