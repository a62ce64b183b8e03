using System.Text.RegularExpressions;
using Npgsql;

namespace FastRelay.Audit;

/// <summary>
/// <c>--audit postgres:CONNSTR</c>: the auditors' <c>access_logs</c> table, created or migrated on the first
/// connection; each batch is one transaction: binary COPY into a session-private staging table, then
/// <c>INSERT … SELECT … ON CONFLICT (record_id) DO NOTHING</c>, so a replayed record is never stored twice.
/// </summary>
/// <remarks>
/// One connection, kept open between batches and opened anew after any failure (so a restarted server is
/// found again). COPY cannot skip conflicting rows itself, hence the staging table: a temporary table (no
/// WAL) with ON COMMIT DELETE ROWS, so it empties itself; its columns take the types of the real table's.
/// </remarks>
internal sealed partial class PostgresAuditSink : IAuditSink
{
    private const string Staging = "fastrelay_audit_staging";
    private readonly string _connectionString;
    private readonly string _copy;
    private readonly string _merge;
    private NpgsqlConnection? _connection;

    /// <summary>Creates the sink; nothing connects until the first <see cref="Write"/>.</summary>
    public PostgresAuditSink(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);

        // A dead server must fail a batch within seconds, not the default 15/30 s, so records reach the spool
        // soon; pooling is off so a failed connection is really gone.
        if (!ConnectTimeoutGiven().IsMatch(connectionString))
        {
            builder.Timeout = 5;
        }

        // The same for a server that accepts and then hangs (a stuck disk, a lock): a batch waited Npgsql's 30 s
        // command timeout, three times the retry cap, while the queue filled. 10 s is far above a 4096-row COPY.
        if (!CommandTimeoutGiven().IsMatch(connectionString))
        {
            builder.CommandTimeout = 10;
        }

        builder.Pooling = false;
        _connectionString = builder.ConnectionString;
        var columns = string.Join(", ", AuditSchema.Written);
        _copy = $"COPY {Staging} ({columns}) FROM STDIN (FORMAT BINARY)";
        _merge = $"INSERT INTO {AuditSchema.Table} ({columns}) SELECT {columns} FROM {Staging} ON CONFLICT (record_id) DO NOTHING";
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<AuditRecord> batch)
    {
        try
        {
            var connection = _connection ?? Open();
            using var transaction = connection.BeginTransaction();
            using (var importer = connection.BeginBinaryImport(_copy))
            {
                foreach (ref readonly var record in batch)
                {
                    PostgresSchema.WriteRow(importer, record);
                }

                importer.Complete();
            }

            using (var merge = new NpgsqlCommand(_merge, connection, transaction))
            {
                merge.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
        {
            Close();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Open();
            PostgresSchema.CreateOrMigrate(connection);
            using var staging = new NpgsqlCommand(
                $"CREATE TEMP TABLE IF NOT EXISTS {Staging} ON COMMIT DELETE ROWS AS SELECT {string.Join(", ", AuditSchema.Written)} FROM {AuditSchema.Table} WITH NO DATA",
                connection);
            staging.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _connection = connection;
        return connection;
    }

    // "Timeout=" (the connect timeout), not "Command Timeout=" or "CommandTimeout=".
    [GeneratedRegex(@"(^|;)\s*timeout\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectTimeoutGiven();

    // "Command Timeout=" or "CommandTimeout=".
    [GeneratedRegex(@"(^|;)\s*command\s*timeout\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex CommandTimeoutGiven();

    private void Close()
    {
        _connection?.Dispose();
        _connection = null;
    }
}
