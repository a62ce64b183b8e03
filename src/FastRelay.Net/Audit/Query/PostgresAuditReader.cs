using Npgsql;
using NpgsqlTypes;

namespace FastRelay.Audit.Query;

/// <summary>Reads <c>--audit postgres:CONNSTR</c>; every filter runs in SQL (<c>src_ip &lt;&lt;= network</c> for the source).</summary>
internal sealed class PostgresAuditReader(string connectionString) : IAuditReader
{
    /// <inheritdoc />
    public IReadOnlyList<StoredRecord> Query(AuditQuery query)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand { Connection = connection };
            var where = new List<string>();
            if (query.Since is { } since)
            {
                where.Add("timestamp >= @since");
                command.Parameters.AddWithValue("since", NpgsqlDbType.Timestamp, DateTime.SpecifyKind(since, DateTimeKind.Unspecified));
            }

            if (query.Until is { } until)
            {
                where.Add("timestamp < @until");
                command.Parameters.AddWithValue("until", NpgsqlDbType.Timestamp, DateTime.SpecifyKind(until, DateTimeKind.Unspecified));
            }

            if (query.Service is { } service)
            {
                where.Add("dest_service = @service");
                command.Parameters.AddWithValue("service", service);
            }

            if (query.Verdict is { } verdict)
            {
                where.Add("verdict = @verdict");
                command.Parameters.AddWithValue("verdict", verdict);
            }

            if (query.Source is { } source)
            {
                where.Add("src_ip <<= @source::inet");
                command.Parameters.AddWithValue("source", source.ToString());
            }

            command.CommandText = $"SELECT {AuditRows.SelectListFor(Columns(connection))} FROM {AuditSchema.Table}"
                + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
                + $" ORDER BY timestamp DESC, id DESC LIMIT {query.Limit}";
            using var reader = command.ExecuteReader();
            var records = new List<StoredRecord>();
            while (reader.Read())
            {
                records.Add(AuditRows.ReadStored(reader));
            }

            return records;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            // One line: a server error's message carries its DETAIL and HINT on lines of their own.
            var message = string.Join(" ", ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            throw new AuditReadException($"cannot read the audit table from PostgreSQL: {message}", ex);
        }
    }

    // The table's columns as the query will see it (the first schema on the search path that has it; none when no schema does).
    private static HashSet<string> Columns(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand(
            "SELECT column_name FROM information_schema.columns WHERE table_name = @table AND table_schema = ("
            + "SELECT table_schema FROM information_schema.tables t JOIN unnest(current_schemas(false)) WITH ORDINALITY s(name, n) ON t.table_schema = s.name"
            + " WHERE t.table_name = @table ORDER BY s.n LIMIT 1)", connection);
        command.Parameters.AddWithValue("table", AuditSchema.Table);
        using var reader = command.ExecuteReader();
        var columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }
}
