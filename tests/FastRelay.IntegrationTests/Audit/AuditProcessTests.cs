using System.Net;
using System.Text.Json;
using FastRelay.Backends;
using FastRelay.TestKit;
using Microsoft.Data.Sqlite;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>
/// The audit log as users run it: <c>fastrelay edge</c> with no --audit writes SQLite in its working
/// directory and flushes on SIGTERM; <c>fastrelay audit query</c> reads it back; bad values exit 2.
/// </summary>
public sealed class AuditProcessTests
{
    [Fact]
    public async Task Edge_WithoutAuditFlag_WritesFastrelayAuditDbInItsWorkingDirectory_FlushedOnSigterm()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--audit-node", "edge-7");
        await relay.WaitUntilListeningAsync(listen); // The probe itself is a connection: inbound, outbound, close.
        for (var i = 0; i < 3; i++)
        {
            await AuditTraffic.ExchangeAsync(listen, "127.0.0.1", 10 + i);
        }

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());

        var path = Path.Combine(relay.WorkingDirectory, "fastrelay-audit.db");
        Assert.True(File.Exists(path), relay.StandardError);
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT action, count(*), min(node), sum(bytes_from_client) FROM access_logs GROUP BY action ORDER BY action";
        using var reader = command.ExecuteReader();
        var byAction = new Dictionary<string, (long Count, string Node, long Bytes)>();
        while (reader.Read())
        {
            byAction[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3));
        }

        Assert.True(byAction["close"].Count >= 4, string.Join(", ", byAction)); // 3 exchanges + the readiness probe(s).
        Assert.Equal(byAction["close"].Count, byAction["inbound"].Count);
        Assert.Equal("edge-7", byAction["inbound"].Node);
        Assert.Equal(10 + 11 + 12, byAction["close"].Bytes);
        Assert.Contains("Audit log stopped", relay.StandardOutput, StringComparison.Ordinal);

        // The JSON form carries every column, the database's row number too.
        using var query = await FastRelayProcess.RunInAsync(relay.WorkingDirectory, "audit", "query", "--limit", "3", "--format", "json");
        Assert.Equal(0, await query.WaitForExitAsync());
        using var json = JsonDocument.Parse(query.StandardOutput);
        var ids = json.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM access_logs WHERE id IN ({string.Join(", ", ids)})";
        Assert.Equal(3L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task AuditQuery_FiltersAndFormats_TableAndJson()
    {
        var directory = Directory.CreateTempSubdirectory("fastrelay-query-").FullName;
        try
        {
            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
            var listen = FastRelayProcess.FreeEndPoint();
            var policy = Path.Combine(directory, "policy.json");
            await File.WriteAllTextAsync(policy, AuditTraffic.Policy);
            var audit = "jsonl:" + Path.Combine(directory, "audit.jsonl");
            using (var relay = FastRelayProcess.StartIn(directory, "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}", "--policy", policy, "--audit", audit))
            {
                await relay.WaitUntilListeningAsync(listen);
                await AuditTraffic.ExchangeAsync(listen, "127.0.0.2", 7);
                await AuditTraffic.DeniedAsync(listen, "127.0.0.3");
                relay.Signal("TERM");
                Assert.Equal(0, await relay.WaitForExitAsync());
            }

            using var denied = await FastRelayProcess.RunInAsync(directory, "audit", "query", "--audit", audit, "--verdict", "deny", "--format", "json");
            Assert.Equal(0, await denied.WaitForExitAsync());
            using var json = JsonDocument.Parse(denied.StandardOutput);
            var only = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal("127.0.0.3", only.GetProperty("src_ip").GetString());
            Assert.Equal("inbound", only.GetProperty("action").GetString());
            Assert.False(only.GetProperty("verdict").GetBoolean());
            Assert.Equal("Blocked", only.GetProperty("rule_group").GetString());
            Assert.Equal(JsonValueKind.Null, only.GetProperty("id").ValueKind); // A JSON-lines file has no row numbers.

            using var fromSource = await FastRelayProcess.RunInAsync(directory, "audit", "query", "--audit", audit, "--source", "127.0.0.2/32", "--since", "1h", "--service", "echo");
            Assert.Equal(0, await fromSource.WaitForExitAsync());
            var lines = fromSource.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("TIME (UTC)", lines[0], StringComparison.Ordinal);
            Assert.Equal("(3 records)", lines[^1]);
            Assert.Contains(lines, l => l.Contains("close", StringComparison.Ordinal) && l.Contains("7/7", StringComparison.Ordinal) && l.Contains("Completed", StringComparison.Ordinal));
            Assert.DoesNotContain("127.0.0.3", fromSource.StandardOutput, StringComparison.Ordinal);

            using var none = await FastRelayProcess.RunInAsync(directory, "audit", "query", "--audit", audit, "--until", "2001-01-01T00:00:00Z", "--format", "json");
            Assert.Equal(0, await none.WaitForExitAsync());
            Assert.Empty(JsonDocument.Parse(none.StandardOutput).RootElement.EnumerateArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AuditQuery_BadFlags_Exit2_EachNamed_MissingStore_Exit1()
    {
        using var bad = await FastRelayProcess.RunAsync("audit", "query", "--audit", "mysql:x", "--verdict", "maybe", "--source", "10.0.0.0/99", "--limit", "0", "--format", "xml", "--since", "soon");
        Assert.Equal(2, await bad.WaitForExitAsync());
        foreach (var named in new[] { "--audit 'mysql:x'", "--verdict 'maybe'", "--source '10.0.0.0/99'", "--limit '0'", "--format 'xml'", "--since 'soon'" })
        {
            Assert.Contains(named, bad.StandardError, StringComparison.Ordinal);
        }

        Assert.Contains("--audit 'mysql:x': expected sqlite:PATH, postgres:CONNSTR (e.g. postgres:Host=db;Username=relay;Database=audit) or jsonl:PATH", bad.StandardError, StringComparison.Ordinal); // Not "off": nothing to read.

        var folder = Directory.CreateTempSubdirectory("fastrelay-audit-folder-").FullName;
        try
        {
            using var directory = await FastRelayProcess.RunAsync("audit", "query", "--audit", "sqlite:" + folder);
            Assert.Equal(1, await directory.WaitForExitAsync());
            Assert.Contains($"{folder} is a directory; expected the audit database file", directory.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder);
        }

        using var missing = await FastRelayProcess.RunAsync("audit", "query");
        Assert.Equal(1, await missing.WaitForExitAsync());
        Assert.Contains("no audit database at", missing.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_SpoolUnderAFile_Exit1_NamesTheFileInTheWay()
    {
        var blocker = Path.GetTempFileName(); // A file where the spool's parent folder should be.
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--audit-spool", Path.Combine(blocker, "spool"));
            Assert.Equal(1, await relay.WaitForExitAsync());
            Assert.Contains($"--audit-spool {Path.Combine(blocker, "spool")}: cannot use the spool directory: '{blocker}' is a file, expected a directory", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Theory]
    [InlineData("mysql:db", "--audit 'mysql:db': expected sqlite:PATH, postgres:CONNSTR")]
    [InlineData("sqlite:", "--audit 'sqlite:': sqlite: needs a file path")]
    [InlineData("postgres:localhost", "--audit 'postgres:localhost': postgres: expects an Npgsql connection string")]
    [InlineData("postgres:Hots=db;Nonsense=1", "--audit 'postgres:Hots=db;Nonsense=1': not a valid Npgsql connection string")]
    [InlineData("postgres:Host=db;Password=SECRET1;Bogus=1", "--audit 'postgres:Host=db;Password=***;Bogus=1': not a valid Npgsql connection string")]
    public async Task Edge_BadAuditValue_Exit2_NamesFlagValueAndWhatIsExpected(string value, string expected)
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--audit", value,
            "--audit-queue", "5", "--audit-overflow", "later");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains(expected, relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--audit-queue '5': expected a whole number from 16 to 16777216", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--audit-overflow 'later': expected one of spool|drop|block", relay.StandardError, StringComparison.Ordinal);
    }
}
