using System.Globalization;

namespace FastRelay.Audit;

/// <summary>
/// The <c>access_logs</c> table: the auditors' six columns, exactly as their design has them, and the
/// columns FastRelay adds beside them. Both database sinks create the table from this list, and add any
/// missing added column to an existing table without touching the auditors' own.
/// </summary>
internal static class AuditSchema
{
    /// <summary>The table name (the auditors' design).</summary>
    public const string Table = "access_logs";

    /// <summary>The time/service index of the auditors' design.</summary>
    public const string TimeServiceIndex = "CREATE INDEX IF NOT EXISTS idx_time_service ON access_logs(timestamp, dest_service)";

    /// <summary>The unique index that makes replay idempotent (ON CONFLICT (record_id) needs it).</summary>
    public const string RecordIdIndex = "CREATE UNIQUE INDEX IF NOT EXISTS access_logs_record_id_key ON access_logs(record_id)";

    /// <summary>The auditors' columns, as in their CREATE TABLE (PostgreSQL types).</summary>
    public static readonly Column[] Required =
    [
        new("id", "SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        new("src_ip", "INET", "TEXT"),
        new("dest_service", "VARCHAR(64)", "VARCHAR(64)"),
        new("action", "VARCHAR(16)", "VARCHAR(16)"),
        new("timestamp", "TIMESTAMP DEFAULT CURRENT_TIMESTAMP", "TIMESTAMP DEFAULT CURRENT_TIMESTAMP"),
        new("verdict", "BOOLEAN", "BOOLEAN"),
    ];

    /// <summary>FastRelay's columns beside them.</summary>
    public static readonly Column[] Added =
    [
        new("record_id", "UUID", "TEXT"),
        new("node", "VARCHAR(255)", "VARCHAR(255)"),
        new("connection_id", "BIGINT", "INTEGER"),
        new("src_port", "INTEGER", "INTEGER"),
        new("dest_ip", "INET", "TEXT"),
        new("dest_port", "INTEGER", "INTEGER"),
        new("listener", "VARCHAR(64)", "VARCHAR(64)"),
        new("client_identity", "TEXT", "TEXT"),
        new("cert_sha256", "TEXT", "TEXT"), // Hex; TEXT so a colon-separated form (95 characters) cannot poison a batch.
        new("rule_group", "TEXT", "TEXT"),
        new("rule_index", "INTEGER", "INTEGER"),
        new("close_reason", "VARCHAR(32)", "VARCHAR(32)"),
        new("detail", "TEXT", "TEXT"),
        new("bytes_from_client", "BIGINT", "INTEGER"),
        new("bytes_to_client", "BIGINT", "INTEGER"),
        new("duration_ms", "DOUBLE PRECISION", "REAL"),
    ];

    /// <summary>Every column a record fills (all but <c>id</c>), in the order the sinks write them.</summary>
    public static readonly string[] Written =
        [.. Required.Skip(1).Select(c => c.Name), .. Added.Select(c => c.Name)];

    /// <summary>The CREATE TABLE for PostgreSQL (<paramref name="postgres"/>) or SQLite.</summary>
    public static string CreateTable(bool postgres) =>
        $"CREATE TABLE IF NOT EXISTS {Table} ({string.Join(", ", Required.Concat(Added).Select(c => $"{c.Name} {(postgres ? c.Postgres : c.Sqlite)}"))})";

    /// <summary>The UTC time as SQLite's text column holds it: sortable, as CURRENT_TIMESTAMP writes it, plus microseconds.</summary>
    public static string FormatSqliteTimestamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    /// <summary>One column: its name and its type in each database.</summary>
    public sealed record Column(string Name, string Postgres, string Sqlite);
}
