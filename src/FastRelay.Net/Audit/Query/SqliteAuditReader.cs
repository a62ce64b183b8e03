using Microsoft.Data.Sqlite;

namespace FastRelay.Audit.Query;

/// <summary>
/// Reads <c>--audit sqlite:PATH</c> read-only. Time, service and verdict are filtered in SQL (the
/// <c>idx_time_service</c> index serves the first two); the source network in process, as SQLite has no
/// address type.
/// </summary>
internal sealed class SqliteAuditReader(string path) : IAuditReader
{
    /// <inheritdoc />
    public IReadOnlyList<StoredRecord> Query(AuditQuery query)
    {
        if (Directory.Exists(path))
        {
            throw new AuditReadException($"{Path.GetFullPath(path)} is a directory; expected the audit database file the edge's --audit names");
        }

        if (!File.Exists(path))
        {
            throw new AuditReadException($"no audit database at {Path.GetFullPath(path)} (the edge writes it on its first record; check --audit)");
        }

        try
        {
            var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            var where = new List<string>();
            if (query.Since is { } since)
            {
                where.Add("timestamp >= $since");
                command.Parameters.AddWithValue("$since", AuditSchema.FormatSqliteTimestamp(since));
            }

            if (query.Until is { } until)
            {
                where.Add("timestamp < $until");
                command.Parameters.AddWithValue("$until", AuditSchema.FormatSqliteTimestamp(until));
            }

            if (query.Service is { } service)
            {
                where.Add("dest_service = $service");
                command.Parameters.AddWithValue("$service", service);
            }

            if (query.Verdict is { } verdict)
            {
                where.Add("verdict = $verdict");
                command.Parameters.AddWithValue("$verdict", verdict ? 1 : 0);
            }

            command.CommandText = $"SELECT {AuditRows.SelectList} FROM {AuditSchema.Table}"
                + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
                + " ORDER BY timestamp DESC, id DESC";
            using var reader = command.ExecuteReader();
            var records = new List<StoredRecord>();
            while (records.Count < query.Limit && reader.Read())
            {
                var record = AuditRows.ReadStored(reader);
                if (query.Matches(record.Record))
                {
                    records.Add(record);
                }
            }

            return records;
        }
        catch (SqliteException ex)
        {
            throw new AuditReadException($"cannot read the audit database {Path.GetFullPath(path)}: {ex.Message}", ex);
        }
    }
}
