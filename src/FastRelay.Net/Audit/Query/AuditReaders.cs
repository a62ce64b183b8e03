namespace FastRelay.Audit.Query;

/// <summary>Creates the reader for an <c>--audit</c> target.</summary>
internal static class AuditReaders
{
    /// <summary>The reader for <paramref name="target"/> (not <see cref="AuditSinkKind.Off"/>).</summary>
    public static IAuditReader Create(AuditTarget target) => target.Kind switch
    {
        AuditSinkKind.Sqlite => new SqliteAuditReader(target.Location),
        AuditSinkKind.Postgres => new PostgresAuditReader(target.Location),
        AuditSinkKind.Jsonl => new JsonlAuditReader(target.Location),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target.Kind, "--audit off has nothing to read"),
    };
}
