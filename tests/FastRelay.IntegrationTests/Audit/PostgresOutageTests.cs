using System.Net;
using FastRelay.Audit;
using FastRelay.Backends;
using FastRelay.Observing;
using FastRelay.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>
/// The database goes down in the middle of the load and comes back: the relay keeps relaying without
/// waiting for it, records pile up in the spool, and once it is back every record is in the table exactly
/// once (counted by record id, compared with every event the edge raised).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageTests(PostgresServer postgres) : IDisposable
{
    private const int ConnectionsPerPhase = 60;
    private readonly string _spool = Directory.CreateTempSubdirectory("fastrelay-outage-").FullName;

    public void Dispose() => Directory.Delete(_spool, recursive: true);

    [Fact]
    public async Task DatabaseStoppedMidLoad_RelayGoesOn_SpoolGrows_EveryRecordArrivesExactlyOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var audit = AuditLog.Start(
            new AuditOptions { Target = new AuditTarget(AuditSinkKind.Postgres, connectionString), SpoolDirectory = _spool },
            "outage-node", 9, NullLogger.Instance, TimeProvider.System);
        var events = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartObserved(echo.EndPoint.ToString(), AuditTraffic.Policy, new ConnectionObservers(audit.Observer, events)))
        {
            // Phase 1: the database is up; records go straight in.
            await LoadAsync(edge.EndPoint);
            Assert.True(await TestTimeouts.EventuallyAsync(() => audit.Stats.Written == events.Events.Count));

            // Phase 2: the database is down. Every exchange still completes (the relay never waits for it),
            // and the records go to the spool.
            try
            {
                await postgres.StopAsync();
                await LoadAsync(edge.EndPoint);
                Assert.True(await TestTimeouts.EventuallyAsync(() => audit.Stats.Spooled > 0 && audit.Stats.QueueDepth == 0));
                Assert.True(audit.Stats.SpoolBytes > 0);
                Assert.False(audit.Stats.SinkAvailable);
                Assert.True(audit.Stats.WriteErrors > 0);
            }
            finally
            {
                await postgres.StartAsync();
            }

            // Phase 3: back up; new load while the spool is replayed.
            await LoadAsync(edge.EndPoint);
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => audit.Stats.SpoolBytes == 0 && audit.Stats.QueueDepth == 0));
        await audit.StopAsync();

        var expected = events.Events.Count;
        Assert.Equal(ConnectionsPerPhase * 3 * 3 + (ConnectionsPerPhase / 10 * 3), expected); // 3 per allowed, 1 per denied.
        var (rows, distinct) = await PostgresAuditTests.CountAsync(connectionString);
        Assert.Equal(expected, rows);
        Assert.Equal(expected, distinct);
        Assert.Equal(0, audit.Stats.Dropped);

        // The same decisions, not just the same number: (connection, action, verdict) match the events.
        var stored = (await PostgresAuditTests.ReadRowsAsync(connectionString))
            .Select(r => ((long)r["connection_id"]!, (string)r["action"]!, (bool)r["verdict"]!)).Order().ToList();
        var raised = events.Events.Select(e => (e.ConnectionId, AuditActions.Name(AuditActions.From(e.Checkpoint)), e.Allowed)).Order().ToList();
        Assert.Equal(raised, stored);
        Assert.Empty(Directory.GetFiles(_spool));
    }

    // ConnectionsPerPhase exchanges, four at a time, and one denied connection in ten.
    private static async Task LoadAsync(IPEndPoint edge)
    {
        for (var i = 0; i < ConnectionsPerPhase; i += 4)
        {
            await Task.WhenAll(Enumerable.Range(i, 4).Select(n => AuditTraffic.ExchangeAsync(edge, "127.0.0.2", 64 + n))).WithTimeout();
        }

        for (var i = 0; i < ConnectionsPerPhase / 10; i++)
        {
            await AuditTraffic.DeniedAsync(edge, "127.0.0.3");
        }
    }
}
