using FastRelay.Audit;
using FastRelay.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// The writer with a sink that goes down and comes back: records go to the spool meanwhile and arrive
/// exactly once when it returns; a restart replays what a previous run left; a stop flushes.
/// </summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastrelay-auditlog-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task SinkDown_RecordsAreSpooled_ThenReplayedExactlyOnce_WhenItReturns()
    {
        var sink = new FlakyAuditSink();
        var audit = Start(sink);
        var records = AuditRecords.Many(3000);
        foreach (var record in records[..1000]) audit.Observer.Enqueue(record);
        Assert.True(await TestTimeouts.EventuallyAsync(() => sink.Records.Count == 1000));

        sink.Available = false;
        foreach (var record in records[1000..2000]) audit.Observer.Enqueue(record);
        Assert.True(await TestTimeouts.EventuallyAsync(() => audit.Stats.Spooled == 1000));
        Assert.True(audit.Stats.SpoolBytes > 0);
        Assert.False(audit.Stats.SinkAvailable);

        sink.Available = true;
        foreach (var record in records[2000..]) audit.Observer.Enqueue(record);
        Assert.True(await TestTimeouts.EventuallyAsync(() => sink.Arrivals.Count == 3000));
        await audit.StopAsync();

        Assert.All(sink.Arrivals.Values, n => Assert.Equal(1, n));
        Assert.Equal(records.Select(r => r.RecordId), sink.Records.Select(r => r.RecordId)); // In order, too.
        Assert.Equal(0, audit.Stats.SpoolBytes);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Restart_WithANonEmptySpool_ReplaysItBeforeNewRecords()
    {
        var down = new FlakyAuditSink { Available = false };
        var first = Start(down);
        var old = AuditRecords.Many(50);
        foreach (var record in old) first.Observer.Enqueue(record);
        await first.StopAsync();
        Assert.Empty(down.Records);
        Assert.NotEmpty(Directory.GetFiles(_directory));

        var sink = new FlakyAuditSink();
        var second = Start(sink);
        var fresh = AuditRecords.Sample(1000);
        second.Observer.Enqueue(fresh);
        await second.StopAsync();

        Assert.Equal([.. old.Select(r => r.RecordId), fresh.RecordId], sink.Records.Select(r => r.RecordId));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Restart_WithADamagedSpoolLine_SaysSoInTheLog_AndInTheStopLine()
    {
        // Damaged lines were skipped and counted, but neither a log line nor the stop line said so.
        var first = Start(new FlakyAuditSink { Available = false });
        foreach (var record in AuditRecords.Many(3)) first.Observer.Enqueue(record);
        await first.StopAsync();
        var segment = Directory.GetFiles(_directory, "spool-*.log").Single();
        await File.AppendAllTextAsync(segment, "00000000 {\"not\":\"ours\"}\n");

        var log = new FastRelay.Tunnel.Session.ListLogger();
        var sink = new FlakyAuditSink();
        var second = AuditLog.Start(new AuditOptions { SpoolDirectory = _directory, FlushTimeout = TimeSpan.FromSeconds(10) },
            "node", 7, log, TimeProvider.System, sink);
        await second.StopAsync();

        Assert.Equal(3, sink.Records.Count);
        Assert.True(log.Has(708, "1 damaged lines skipped"), log.ToString());
        Assert.True(log.Has(704, "1 damaged spool lines skipped"), log.ToString());
    }

    [Fact]
    public async Task Stop_WhileTheSinkIsDown_LeavesEverythingInTheSpool_WithinTheFlushTimeout()
    {
        var sink = new FlakyAuditSink { Available = false };
        var audit = Start(sink, flushTimeout: TimeSpan.FromMilliseconds(500));
        foreach (var record in AuditRecords.Many(200)) audit.Observer.Enqueue(record);
        await audit.StopAsync().WithTimeout();

        Assert.Equal(200, audit.Stats.Spooled);
        Assert.Equal(0, audit.Stats.Dropped);
        using var spool = new AuditSpool(_directory, new AuditStats());
        var count = 0;
        Assert.True(spool.Replay(chunk => { count += chunk.Length; return true; }, new AuditRecord[64]));
        Assert.Equal(200, count);
    }

    [Fact]
    public async Task RecordAfterStop_AConnectionThatOutlivedTheDrain_IsStillSpooledDurably()
    {
        var sink = new FlakyAuditSink();
        var audit = Start(sink);
        await audit.StopAsync();
        var late = AuditRecords.Sample(77);
        audit.Observer.Enqueue(late);

        Assert.Equal(1, audit.Stats.Spooled);
        using var spool = new AuditSpool(_directory, new AuditStats());
        var replayed = new List<AuditRecord>();
        Assert.True(spool.Replay(chunk => { replayed.AddRange(chunk.ToArray()); return true; }, new AuditRecord[4]));
        Assert.Equal([late], replayed);
    }

    private AuditLog Start(FlakyAuditSink sink, TimeSpan? flushTimeout = null) =>
        AuditLog.Start(new AuditOptions { SpoolDirectory = _directory, FlushTimeout = flushTimeout ?? TimeSpan.FromSeconds(10) },
            "node", 7, NullLogger.Instance, TimeProvider.System, sink);
}
