using Microsoft.Data.Sqlite;

namespace FastRelay.Audit;

/// <summary>
/// <c>--audit sqlite:PATH</c> (the default): the same table and index in an embedded database, in WAL mode,
/// each batch one transaction of one prepared <c>INSERT OR IGNORE</c> (idempotent by <c>record_id</c>).
/// </summary>
/// <remarks>
/// Types as SQLite has them: <c>src_ip</c>/<c>dest_ip</c> text, <c>timestamp</c> text
/// <c>YYYY-MM-DD HH:MM:SS.ffffff</c> in UTC (sorts as time, like CURRENT_TIMESTAMP), <c>verdict</c> 0/1,
/// <c>record_id</c> the UUID's text. <c>synchronous=NORMAL</c>: in WAL mode a commit survives a process
/// crash; a power cut may lose the last commits (sqlite.org/wal.html), which is why the PostgreSQL sink is
/// the one for production.
/// </remarks>
internal sealed class SqliteAuditSink(string path) : IAuditSink
{
    private SqliteConnection? _connection;
    private SqliteCommand? _insert;
    private SqliteParameter[] _parameters = [];

    /// <inheritdoc />
    public void Write(ReadOnlySpan<AuditRecord> batch)
    {
        try
        {
            var insert = _insert ?? Open();
            using var transaction = _connection!.BeginTransaction();
            insert.Transaction = transaction;
            foreach (ref readonly var record in batch)
            {
                Bind(record);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
        {
            // Start from a fresh connection next time: the file may have been replaced or the disk freed.
            Close();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private SqliteCommand Open()
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        _connection = connection;
        Execute("PRAGMA journal_mode=WAL");
        Execute("PRAGMA synchronous=NORMAL");
        Execute("PRAGMA busy_timeout=5000"); // `audit query` may be reading.
        SqliteSchema.CreateOrMigrate(connection);

        var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT OR IGNORE INTO {AuditSchema.Table} ({string.Join(", ", AuditSchema.Written)}) VALUES ({string.Join(", ", AuditSchema.Written.Select(c => "$" + c))})";
        _parameters = [.. AuditSchema.Written.Select(c => AddParameter(insert, "$" + c))];
        insert.Prepare();
        _insert = insert;
        return insert;
    }

    private void Bind(in AuditRecord record)
    {
        var values = SqliteSchema.Values(record);
        for (var i = 0; i < _parameters.Length; i++)
        {
            _parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    // Untyped: each value binds as its own type (integer, real, text) and the column's affinity keeps it.
    private static SqliteParameter AddParameter(SqliteCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private void Execute(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void Close()
    {
        _insert?.Dispose();
        _insert = null;
        _connection?.Dispose();
        _connection = null;
    }
}
