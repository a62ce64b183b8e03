using System.Net;
using System.Text.Json;
using FastRelay.Audit;
using FastRelay.Backends;
using FastRelay.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>
/// The file sinks through a real edge: JSON lines (one object per record, keys = column names) and SQLite
/// (same columns and index as PostgreSQL, idempotent by record id).
/// </summary>
public sealed class FileSinkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastrelay-filesink-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task JsonLines_OneObjectPerRecord_WithTheColumns()
    {
        var path = Path.Combine(_directory, "audit.jsonl");
        await RunEdgeAsync(new AuditTarget(AuditSinkKind.Jsonl, path));

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(4, lines.Length);
        var objects = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["inbound", "outbound", "close", "inbound"], objects.Select(o => o.GetProperty("action").GetString()));
        var close = objects[2];
        Assert.Equal(9, close.GetProperty("bytes_from_client").GetInt64());
        Assert.Equal("Completed", close.GetProperty("close_reason").GetString());
        Assert.Equal("svc", close.GetProperty("dest_service").GetString());
        Assert.EndsWith("Z", close.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, close.GetProperty("cert_sha256").ValueKind);
        Assert.False(objects[3].GetProperty("verdict").GetBoolean());
    }

    [Fact]
    public async Task Sqlite_SameColumnsAndIndex_RowsWritten_ReplayIgnored()
    {
        var path = Path.Combine(_directory, "audit.db");
        await RunEdgeAsync(new AuditTarget(AuditSinkKind.Sqlite, path));
        var batch = AuditRecords.Many(10);
        using (var sink = new SqliteAuditSink(path))
        {
            sink.Write(batch);
            sink.Write(batch); // Replayed: ignored by record id.
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Assert.Equal(14L, Scalar(connection, "SELECT count(*) FROM access_logs"));
        Assert.Equal(14L, Scalar(connection, "SELECT count(DISTINCT record_id) FROM access_logs"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode"));
        Assert.Equal("CREATE INDEX idx_time_service ON access_logs(timestamp, dest_service)",
            Scalar(connection, "SELECT sql FROM sqlite_master WHERE name = 'idx_time_service'"));
        Assert.Equal(1L, Scalar(connection, "SELECT count(*) FROM access_logs WHERE action = 'inbound' AND verdict = 0 AND src_ip = '127.0.0.3' AND rule_group = 'Blocked'"));
        Assert.Equal(9L, Scalar(connection, "SELECT bytes_to_client FROM access_logs WHERE action = 'close' AND node = 'n1'"));

        // Bound by position through SQLite's own API: each value keeps its type (what `audit query` and auditors read).
        var sample = batch[0];
        Assert.Equal("text|text|text|integer|integer|text|real|integer|text",
            Scalar(connection, "SELECT typeof(src_ip) || '|' || typeof(record_id) || '|' || typeof(timestamp) || '|' || typeof(verdict) || '|' || typeof(src_port)"
                + " || '|' || typeof(dest_ip) || '|' || typeof(duration_ms) || '|' || typeof(rule_index) || '|' || typeof(close_reason)"
                + " FROM access_logs WHERE node = 'test-node' LIMIT 1"));
        Assert.Equal(1L, Scalar(connection, $"SELECT count(*) FROM access_logs WHERE node = 'test-node' AND src_ip = '127.0.0.2' AND src_port = {sample.Client!.Port}"
            + " AND dest_port = 9001 AND rule_index = 2 AND duration_ms = 12.5 AND verdict = 1 AND client_identity = 'CN=client' AND close_reason = 'Completed'"
            + $" AND connection_id = 1 AND bytes_from_client = 101 AND record_id = '{sample.RecordId}'"));
    }

    [Fact]
    public void Sqlite_ExistingTableWithTheSixColumns_IsMigrated_ItsRowsKept()
    {
        var path = Path.Combine(_directory, "old.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, "CREATE TABLE access_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, src_ip TEXT, dest_service VARCHAR(64), action VARCHAR(16), timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, verdict BOOLEAN)");
            Scalar(connection, "INSERT INTO access_logs (src_ip, dest_service, action, verdict) VALUES ('10.0.0.9', 'legacy', 'accept', 1)");
        }

        using (var sink = new SqliteAuditSink(path))
        {
            sink.Write([AuditRecords.Sample(5)]);
        }

        using var check = new SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        Assert.Equal(2L, Scalar(check, "SELECT count(*) FROM access_logs"));
        Assert.Equal("legacy", Scalar(check, "SELECT dest_service FROM access_logs WHERE id = 1"));
        Assert.Equal(205L, Scalar(check, "SELECT bytes_to_client FROM access_logs WHERE id = 2"));
    }

    [Fact]
    public async Task AuditQuery_TheAuditorsOwnRows_AreShownAsStored_AndTheirTimesCompareAsTimes()
    {
        // Rows the auditors' tools wrote: CURRENT_TIMESTAMP's form (no fraction) or ISO's, a NULL verdict, an action
        // FastRelay never writes. They read as an accept, a deny and an empty record id, and --since compared text:
        // "10:00:00" sorts before "10:00:00.000000", and "2026-11-28T09:59:59Z" after every "2026-11-28 ..." time.
        var path = Path.Combine(_directory, "theirs.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, "CREATE TABLE access_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, src_ip TEXT, dest_service VARCHAR(64), action VARCHAR(16), timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, verdict BOOLEAN)");
            Scalar(connection, "INSERT INTO access_logs (src_ip, dest_service, action, timestamp, verdict) VALUES ('10.0.0.9', 'legacy', 'login', '2026-11-28 10:00:00', NULL)");
            Scalar(connection, "INSERT INTO access_logs (src_ip, dest_service, action, timestamp, verdict) VALUES ('10.0.0.8', 'early', 'accept', '2026-11-28T09:59:59Z', 1)");
        }

        using (var sink = new SqliteAuditSink(path))
        {
            sink.Write([AuditRecords.Sample(5)]); // Migrates the table: FastRelay's columns are NULL in their rows.
        }

        using var query = await FastRelayProcess.RunAsync("audit", "query", "--audit", "sqlite:" + path,
            "--since", "2026-11-28T10:00:00Z", "--until", "2026-11-28T10:00:00.000001Z", "--format", "json");
        Assert.Equal(0, await query.WaitForExitAsync());
        var rows = JsonDocument.Parse(query.StandardOutput).RootElement.EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.Equal("legacy", row.GetProperty("dest_service").GetString());
        Assert.Equal("login", row.GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("verdict").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("record_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("connection_id").ValueKind);
        Assert.Equal("10.0.0.9", row.GetProperty("src_ip").GetString());

        using var table = await FastRelayProcess.RunAsync("audit", "query", "--audit", "sqlite:" + path, "--service", "legacy");
        Assert.Equal(0, await table.WaitForExitAsync());
        var line = Assert.Single(table.StandardOutput.Split('\n'), l => l.Contains("legacy", StringComparison.Ordinal));
        Assert.Contains(" login ", line, StringComparison.Ordinal);
        Assert.Contains(" NULL ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" deny ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Guid.Empty.ToString(), line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditQuery_TheAuditorsTableBeforeAnyEdgeMigratedIt_IsRead_ItsMissingColumnsNull()
    {
        var path = Path.Combine(_directory, "unmigrated.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, "CREATE TABLE access_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, src_ip TEXT, dest_service VARCHAR(64), action VARCHAR(16), timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, verdict BOOLEAN)");
            Scalar(connection, "INSERT INTO access_logs (src_ip, dest_service, action, verdict) VALUES ('10.0.0.9', 'legacy', 'accept', 1)");
        }

        using var query = await FastRelayProcess.RunAsync("audit", "query", "--audit", "sqlite:" + path, "--since", "1h", "--format", "json");
        Assert.Equal(0, await query.WaitForExitAsync());
        var row = Assert.Single(JsonDocument.Parse(query.StandardOutput).RootElement.EnumerateArray());
        Assert.Equal("legacy", row.GetProperty("dest_service").GetString());
        Assert.True(row.GetProperty("verdict").GetBoolean());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("record_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("node").ValueKind);
    }

    private async Task RunEdgeAsync(AuditTarget target)
    {
        var audit = AuditLog.Start(new AuditOptions { Target = target, SpoolDirectory = Path.Combine(_directory, "spool") },
            "n1", 1, NullLogger.Instance, TimeProvider.System);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), AuditTraffic.Policy, audit.Observer))
        {
            await AuditTraffic.ExchangeAsync(edge.EndPoint, "127.0.0.2", 9);
            await AuditTraffic.DeniedAsync(edge.EndPoint, "127.0.0.3");
        }

        await audit.StopAsync();
        Assert.Equal(4, audit.Stats.Written);
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
