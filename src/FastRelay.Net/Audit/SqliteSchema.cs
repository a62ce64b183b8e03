using System.Net;
using FastRelay.Diagnostics;
using Microsoft.Data.Sqlite;

namespace FastRelay.Audit;

/// <summary>The <c>access_logs</c> table in SQLite: creation, migration, and a record's column values.</summary>
internal static class SqliteSchema
{
    /// <summary>Creates the table and indexes, or adds the columns an older table lacks.</summary>
    public static void CreateOrMigrate(SqliteConnection connection)
    {
        Execute(connection, AuditSchema.CreateTable(postgres: false));
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var info = connection.CreateCommand())
        {
            info.CommandText = $"PRAGMA table_info({AuditSchema.Table})";
            using var reader = info.ExecuteReader();
            while (reader.Read())
            {
                existing.Add(reader.GetString(1));
            }
        }

        // The id column cannot be added to an existing table; the rest can (without constraints).
        foreach (var column in AuditSchema.Required.Skip(1).Concat(AuditSchema.Added).Where(c => !existing.Contains(c.Name)))
        {
            Execute(connection, $"ALTER TABLE {AuditSchema.Table} ADD COLUMN {column.Name} {column.Sqlite.Replace(" DEFAULT CURRENT_TIMESTAMP", "", StringComparison.Ordinal)}");
        }

        Execute(connection, AuditSchema.TimeServiceIndex);
        Execute(connection, AuditSchema.RecordIdIndex);
    }

    /// <summary>The values of <see cref="AuditSchema.Written"/>, in that order, as SQLite stores them.</summary>
    public static object?[] Values(in AuditRecord r) =>
    [
        Address(r.Client),
        r.Service,
        AuditActions.Name(r.Action),
        AuditSchema.FormatSqliteTimestamp(r.Timestamp),
        r.Verdict ? 1 : 0,
        r.RecordId.ToString(),
        r.Node,
        r.ConnectionId,
        r.Client?.Port,
        Address(r.Destination),
        r.Destination?.Port,
        PlainAddress.Of(r.Listener)?.ToString(),
        r.Identity,
        r.CertificateSha256,
        r.RuleGroup,
        r.RuleIndex,
        r.Reason?.ToString(),
        r.Detail,
        r.BytesFromClient,
        r.BytesToClient,
        Math.Round(r.Duration.TotalMilliseconds, 3),
    ];

    /// <summary>An address as text, IPv4-mapped IPv6 shown as IPv4 (how operators search for it).</summary>
    public static string? Address(IPEndPoint? endPoint) =>
        endPoint is null ? null : PlainAddress.Of(endPoint.Address).ToString();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
