using System.Net;
using FastRelay.Audit;
using FastRelay.Backends;
using FastRelay.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>
/// The auditors' table in a real PostgreSQL server, written through a real edge: the right row for each
/// decision, their column types and index exactly, their own table migrated without being touched, and a
/// record replayed twice stored once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditTests(PostgresServer postgres) : IDisposable
{
    private readonly string _spool = Directory.CreateTempSubdirectory("fastrelay-pgspool-").FullName;

    public void Dispose() => Directory.Delete(_spool, recursive: true);

    [Fact]
    public async Task Edge_AllowedDeniedAndClosed_RowsHaveTheRightValues()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var audit = Start(connectionString);
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), AuditTraffic.Policy, audit.Observer))
        {
            await AuditTraffic.ExchangeAsync(edge.EndPoint, "127.0.0.2", 5);

            // The client is done before the edge has recorded the close: wait for it, so the rows come in this order.
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
            await AuditTraffic.DeniedAsync(edge.EndPoint, "127.0.0.3");
        }

        await audit.StopAsync();
        Assert.Equal(4, audit.Stats.Written);

        var rows = await ReadRowsAsync(connectionString);
        Assert.Equal(["inbound", "outbound", "close", "inbound"], rows.Select(r => r["action"]));
        var (inbound, outbound, close, denied) = (rows[0], rows[1], rows[2], rows[3]);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), inbound["src_ip"]);
        Assert.Equal("svc", inbound["dest_service"]);
        Assert.Equal(true, inbound["verdict"]);
        Assert.Equal("Desk", inbound["rule_group"]);
        Assert.Equal(0, inbound["rule_index"]);
        Assert.Equal(Environment.MachineName, inbound["node"]);
        Assert.Equal("Backends", outbound["rule_group"]);
        Assert.Equal(IPAddress.Loopback, outbound["dest_ip"]);
        Assert.Equal(echo.EndPoint.Port, outbound["dest_port"]);
        Assert.Equal("Completed", close["close_reason"]);
        Assert.Equal(5L, close["bytes_from_client"]);
        Assert.Equal(5L, close["bytes_to_client"]);
        Assert.True((double)close["duration_ms"]! > 0);
        Assert.Equal(inbound["connection_id"], close["connection_id"]);
        Assert.Equal(IPAddress.Parse("127.0.0.3"), denied["src_ip"]);
        Assert.Equal(false, denied["verdict"]);
        Assert.Equal("Blocked", denied["rule_group"]);
        Assert.Equal("FilterDenied", denied["close_reason"]);
        Assert.All(rows, r => Assert.Null(r["client_identity"])); // No TLS in this version.
        Assert.All(rows, r => Assert.IsType<Guid>(r["record_id"]));

        // The timestamp column is UTC: within a minute of now in UTC.
        Assert.InRange((DateTime)close["timestamp"]!, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Schema_HasTheAuditorsColumnTypesAndIndexExactly()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        using (var sink = new PostgresAuditSink(connectionString))
        {
            sink.Write([AuditRecords.Sample(1)]);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var types = new Dictionary<string, string>();
        await using (var columns = new NpgsqlCommand(
            "SELECT column_name, format_type(atttypid, atttypmod), coalesce(pg_get_expr(adbin, adrelid), '') FROM information_schema.columns c " +
            "JOIN pg_attribute a ON a.attrelid = 'access_logs'::regclass AND a.attname = c.column_name " +
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE c.table_name = 'access_logs'", connection))
        await using (var reader = await columns.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                types[reader.GetString(0)] = $"{reader.GetString(1)} {reader.GetString(2)}".Trim();
            }
        }

        Assert.Equal("integer nextval('access_logs_id_seq'::regclass)", types["id"]);
        Assert.Equal("inet", types["src_ip"]);
        Assert.Equal("character varying(64)", types["dest_service"]);
        Assert.Equal("character varying(16)", types["action"]);
        Assert.Equal("timestamp without time zone CURRENT_TIMESTAMP", types["timestamp"]);
        Assert.Equal("boolean", types["verdict"]);
        Assert.Equal("uuid", types["record_id"]);
        Assert.Equal(AuditSchema.Required.Length + AuditSchema.Added.Length, types.Count);

        await using var index = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_time_service'", connection);
        Assert.Equal("CREATE INDEX idx_time_service ON public.access_logs USING btree (\"timestamp\", dest_service)", await index.ExecuteScalarAsync());
        await using var primary = new NpgsqlCommand("SELECT count(*) FROM pg_constraint WHERE conrelid = 'access_logs'::regclass AND contype = 'p'", connection);
        Assert.Equal(1L, await primary.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ExistingAuditorsTable_GetsTheNewColumns_TheirRowsAndColumnsUntouched()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE access_logs (id SERIAL PRIMARY KEY, src_ip INET, dest_service VARCHAR(64), action VARCHAR(16), timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, verdict BOOLEAN, reviewer TEXT);" +
                "INSERT INTO access_logs (src_ip, dest_service, action, verdict, reviewer) VALUES ('10.1.1.1', 'legacy', 'accept', true, 'alice')", connection);
            await create.ExecuteNonQueryAsync();
        }

        using (var sink = new PostgresAuditSink(connectionString))
        {
            sink.Write([AuditRecords.Sample(1)]);
        }

        var rows = await ReadRowsAsync(connectionString);
        Assert.Equal(2, rows.Count);
        Assert.Equal("alice", rows[0]["reviewer"]);
        Assert.Equal("legacy", rows[0]["dest_service"]);
        Assert.Null(rows[0]["record_id"]);
        Assert.Null(rows[1]["reviewer"]);
        Assert.Equal("test-node", rows[1]["node"]);
    }

    [Fact]
    public async Task AuditQuery_TheAuditorsTableBeforeAnyEdgeMigratedIt_IsRead_ItsMissingColumnsNull()
    {
        // A query opens the store read-only and never migrates: it failed with "column record_id does not exist".
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE access_logs (id SERIAL PRIMARY KEY, src_ip INET, dest_service VARCHAR(64), action VARCHAR(16), timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, verdict BOOLEAN);" +
                "INSERT INTO access_logs (src_ip, dest_service, action, verdict) VALUES ('10.1.1.1', 'legacy', 'accept', false)", connection);
            await create.ExecuteNonQueryAsync();
        }

        using var query = await FastRelayProcess.RunAsync("audit", "query", "--audit", "postgres:" + connectionString, "--verdict", "deny", "--format", "json");
        Assert.Equal(0, await query.WaitForExitAsync());
        var row = Assert.Single(System.Text.Json.JsonDocument.Parse(query.StandardOutput).RootElement.EnumerateArray());
        Assert.Equal("legacy", row.GetProperty("dest_service").GetString());
        Assert.Equal("accept", row.GetProperty("action").GetString());
        Assert.False(row.GetProperty("verdict").GetBoolean());
        Assert.Equal("10.1.1.1", row.GetProperty("src_ip").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("record_id").ValueKind);
        Assert.Equal(1, row.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Write_TheSameBatchTwice_StoresEachRecordOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var batch = AuditRecords.Many(500);
        using (var sink = new PostgresAuditSink(connectionString))
        {
            sink.Write(batch);
            sink.Write(batch.AsSpan(100, 300)); // A replay after a partial failure.
            sink.Write(batch);
        }

        var (rows, distinct) = await CountAsync(connectionString);
        Assert.Equal(500, rows);
        Assert.Equal(500, distinct);
    }

    [Fact]
    public async Task Write_NulCharactersAClientSent_StoredReplaced_TheBatchNotRefused()
    {
        // An SNI name or a certificate CN with a 0x00: PostgreSQL refuses it in text (22021), which would fail the
        // batch at every retry and hold the spool behind it for good.
        var connectionString = await postgres.CreateDatabaseAsync();
        var record = AuditRecords.Sample(1) with { Detail = "sni x\0y", Identity = "CN=a\0b" };
        using (var sink = new PostgresAuditSink(connectionString))
        {
            sink.Write([record, AuditRecords.Sample(2)]);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT detail, client_identity FROM access_logs WHERE connection_id = 1", connection);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("sni x\uFFFDy", "CN=a\uFFFDb"), (reader.GetString(0), reader.GetString(1)));
        Assert.Equal(2, (await CountAsync(connectionString)).Rows);
    }

    private AuditLog Start(string connectionString) =>
        AuditLog.Start(new AuditOptions { Target = new AuditTarget(AuditSinkKind.Postgres, connectionString), SpoolDirectory = _spool },
            Environment.MachineName, 42, NullLogger.Instance, TimeProvider.System);

    internal static async Task<(long Rows, long Distinct)> CountAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*), count(DISTINCT record_id) FROM access_logs", connection);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    internal static async Task<List<Dictionary<string, object?>>> ReadRowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT * FROM access_logs ORDER BY id", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}
