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

            command.CommandText = $"SELECT {AuditRows.SelectList} FROM {AuditSchema.Table}"
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
}
