using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>
/// <c>fastrelay edge --audit postgres:...</c> as a process: it starts and relays while the database is
/// unreachable, leaves the records in its spool on SIGTERM, and the next start (database up) replays them
/// first, each exactly once, and flushes its own on SIGTERM.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresProcessTests(PostgresServer postgres)
{
    [Fact]
    public async Task DatabaseUnreachable_RecordsSpooled_NextStartReplaysThemExactlyOnce()
    {
        var directory = Directory.CreateTempSubdirectory("fastrelay-pgprocess-").FullName;
        try
        {
            var connectionString = await postgres.CreateDatabaseAsync();
            var unreachable = $"postgres:Host=127.0.0.1;Port={FastRelayProcess.FreeEndPoint().Port};Username=postgres;Database=none;Timeout=1";
            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);

            // Run 1: nothing listens on the database's port.
            var first = await RunEdgeAsync(directory, echo.EndPoint, unreachable, exchanges: 5);
            Assert.Contains("records go to the spool", first, StringComparison.Ordinal);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(directory, "fastrelay-audit-spool")));

            // Run 2: the database is there; the spool is replayed, then this run's own records are written.
            var second = await RunEdgeAsync(directory, echo.EndPoint, "postgres:" + connectionString, exchanges: 2);
            Assert.Contains("0 bytes left in the spool", second, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(Path.Combine(directory, "fastrelay-audit-spool")));

            var rows = await PostgresAuditTests.ReadRowsAsync(connectionString);
            var closes = rows.Where(r => (string)r["action"]! == "close").ToList();
            Assert.Equal(5 + 2, closes.Count(r => (long)r["bytes_from_client"]! > 0)); // Probe connections send nothing.
            var (count, distinct) = await PostgresAuditTests.CountAsync(connectionString);
            Assert.Equal(count, distinct);
            Assert.Equal(rows.Count(r => (string)r["action"]! == "inbound"), closes.Count);

            // Replayed rows come first: every row of run 1 (its process's instance tag, the id's last 4 bytes) is stored
            // before run 2's, and has an earlier id. (Within one run, two connections' events raised on two threads at
            // the same moment may be queued in the other order than their ids: rows follow the queue.)
            var ids = rows.Select(r => (Guid)r["record_id"]!).ToList();
            var runs = ids.Select(id => Convert.ToHexString(id.ToByteArray(bigEndian: true), 12, 4)).ToList();
            Assert.Equal(2, runs.Distinct().Count());
            var secondStarts = runs.IndexOf(runs[^1]);
            Assert.All(runs.Take(secondStarts), run => Assert.Equal(runs[0], run));
            Assert.All(runs.Skip(secondStarts), run => Assert.Equal(runs[^1], run));
            Assert.True(ids.Take(secondStarts).Max().CompareTo(ids.Skip(secondStarts).Min()) < 0, "a replayed id is later than a new one");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> RunEdgeAsync(string directory, IPEndPoint echo, string audit, int exchanges)
    {
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.StartIn(directory, "edge", "--listen", $"echo@{listen}", "--route", $"echo={echo}", "--audit", audit,
            "--audit-flush-timeout", "5s");
        await relay.WaitUntilListeningAsync(listen);
        for (var i = 0; i < exchanges; i++)
        {
            await AuditTraffic.ExchangeAsync(listen, "127.0.0.1", 16 + i);
        }

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
        return relay.StandardOutput;
    }
}
