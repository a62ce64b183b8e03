using Microsoft.Data.Sqlite;

namespace FastRelay.Audit.Query;

/// <summary>
/// Reads <c>--audit sqlite:PATH</c> read-only. Time, service and verdict are filtered in SQL (the
/// <c>idx_time_service</c> index serves the first two); the source network in process, as SQLite has no
/// address type.
/// </summary>
internal sealed class SqliteAuditReader(string path) : IAuditReader
{
    // A stored time in FastRelay's form, "YYYY-MM-DD HH:MM:SS.ffffff": ISO's 'T' and 'Z' dropped, the fraction
    // padded (or cut) to six digits.
    private const string NormalizedTime =
        "(CASE WHEN instr(replace(rtrim(timestamp, 'Z'), 'T', ' '), '.') = 0 THEN replace(rtrim(timestamp, 'Z'), 'T', ' ') || '.000000'"
        + " ELSE substr(replace(rtrim(timestamp, 'Z'), 'T', ' ') || '000000', 1, 26) END)";

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
            // The time is text in SQLite, compared as text: an auditor's row written as CURRENT_TIMESTAMP writes it
            // (no fraction) or in ISO form ('T', 'Z') compared wrongly with ours ("10:00:00" sorts before
            // "10:00:00.000000"). Each stored time is compared in our form (NormalizedTime); the plain comparison
            // with the time cut to the second keeps the index in use and lets through every row that can match.
            if (query.Since is { } since)
            {
                where.Add($"timestamp >= $sinceSecond AND {NormalizedTime} >= $since");
                command.Parameters.AddWithValue("$sinceSecond", AuditSchema.FormatSqliteTimestamp(since)[..19]);
                command.Parameters.AddWithValue("$since", AuditSchema.FormatSqliteTimestamp(since));
            }

            if (query.Until is { } until)
            {
                where.Add($"{NormalizedTime} < $until");
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

            command.CommandText = $"SELECT {AuditRows.SelectListFor(Columns(connection))} FROM {AuditSchema.Table}"
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

    // The table's columns (none when there is no table).
    private static HashSet<string> Columns(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM pragma_table_info('{AuditSchema.Table}')";
        using var reader = command.ExecuteReader();
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }
}
