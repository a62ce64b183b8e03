namespace FastRelay.Audit;

/// <summary>Creates the sink an <see cref="AuditTarget"/> names.</summary>
internal static class AuditSinks
{
    /// <summary>The sink for <paramref name="target"/>; nothing is opened until its first write.</summary>
    /// <exception cref="ArgumentException">A postgres connection string Npgsql cannot parse (checked at startup by <see cref="Validate"/>).</exception>
    public static IAuditSink Create(AuditTarget target) => target.Kind switch
    {
        AuditSinkKind.Sqlite => new SqliteAuditSink(target.Location),
        AuditSinkKind.Postgres => new PostgresAuditSink(target.Location),
        AuditSinkKind.Jsonl => new JsonlAuditSink(target.Location),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target.Kind, "--audit off has no sink"),
    };

    /// <summary>Checks what only the driver can (a connection string's keys); null when fine, else the error.</summary>
    public static string? Validate(AuditTarget target)
    {
        if (target.Kind != AuditSinkKind.Postgres)
        {
            return null;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(target.Location);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            return $"not a valid Npgsql connection string ({ex.Message}); expected KEY=VALUE pairs such as Host=db;Username=relay;Database=audit";
        }
    }
}
