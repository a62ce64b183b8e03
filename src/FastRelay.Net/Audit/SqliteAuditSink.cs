using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FastRelay.Audit;

/// <summary>
/// <c>--audit sqlite:PATH</c> (the default): the same table and index in an embedded database, in WAL mode,
/// each batch one transaction of one prepared <c>INSERT OR IGNORE</c> (idempotent by <c>record_id</c>).
/// </summary>
/// <remarks>
/// The rows are bound and stepped through SQLite's own API (SQLitePCL, under Microsoft.Data.Sqlite): the ADO.NET
/// command looked each of the 21 parameters up by name on every row (<c>sqlite3_bind_parameter_index</c>) and
/// allocated about 3 KB per row. Binding by position took the writer thread from 19.0 % to 12.7 % of the relay's CPU
/// under connection churn (three rows per connection) and to 632 B per row (bench/README.md, "Audit log").
/// </remarks>
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
    private sqlite3_stmt? _insert;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<AuditRecord> batch)
    {
        try
        {
            var insert = _insert ?? Open();
            using var transaction = _connection!.BeginTransaction();
            foreach (ref readonly var record in batch)
            {
                Bind(insert, record);
                var step = raw.sqlite3_step(insert);
                _ = raw.sqlite3_reset(insert);
                if (step != raw.SQLITE_DONE)
                {
                    throw Failure(step);
                }
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

    private sqlite3_stmt Open()
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Configuration.PathProblem.CreateDirectory(directory); // Says which part of the path is in the way.
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        _connection = connection;
        Execute("PRAGMA journal_mode=WAL");
        Execute("PRAGMA synchronous=NORMAL");
        Execute("PRAGMA busy_timeout=5000"); // `audit query` may be reading.
        SqliteSchema.CreateOrMigrate(connection);

        var sql = $"INSERT OR IGNORE INTO {AuditSchema.Table} ({string.Join(", ", AuditSchema.Written)}) VALUES ({string.Join(", ", AuditSchema.Written.Select((_, i) => "?" + (i + 1)))})";
        var prepared = raw.sqlite3_prepare_v2(connection.Handle, sql, out var insert);
        if (prepared != raw.SQLITE_OK)
        {
            insert?.Dispose();
            throw Failure(prepared);
        }

        _insert = insert;
        return insert;
    }

    // By position (1-based, the order of AuditSchema.Written). Untyped: each value binds as its own type (integer,
    // real, text) and the column's affinity keeps it, as the ADO.NET parameters did.
    private static void Bind(sqlite3_stmt insert, in AuditRecord record)
    {
        var values = SqliteSchema.Values(record);
        for (var i = 0; i < values.Length; i++)
        {
            var index = i + 1;
            var bound = values[i] switch
            {
                null => raw.sqlite3_bind_null(insert, index),
                string text => raw.sqlite3_bind_text(insert, index, text),
                int number => raw.sqlite3_bind_int64(insert, index, number),
                long number => raw.sqlite3_bind_int64(insert, index, number),
                double number => raw.sqlite3_bind_double(insert, index, number),
                var other => throw new InvalidOperationException($"audit column {AuditSchema.Written[i]}: no SQLite binding for {other.GetType().Name}"),
            };
            if (bound != raw.SQLITE_OK)
            {
                throw new InvalidOperationException($"audit column {AuditSchema.Written[i]}: sqlite3_bind failed ({bound})");
            }
        }
    }

    private SqliteException Failure(int code) =>
        new(raw.sqlite3_errmsg(_connection!.Handle).utf8_to_string() ?? $"SQLite error {code}", code);

    private void Execute(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void Close()
    {
        _insert?.Dispose(); // sqlite3_finalize, before the connection closes.
        _insert = null;
        _connection?.Dispose();
        _connection = null;
    }
}
