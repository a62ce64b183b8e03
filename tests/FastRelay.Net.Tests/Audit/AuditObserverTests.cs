using System.Threading.Channels;
using FastRelay.Audit;
using FastRelay.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// A full queue never silently loses a record: spool (the default) writes it to the spool, drop counts it,
/// block waits for room. The queue here has no writer, so it stays full.
/// </summary>
public sealed class AuditObserverTests : IDisposable
{
    private const int Capacity = 16;
    private readonly string _directory = Directory.CreateTempSubdirectory("fastrelay-queue-").FullName;
    private readonly Channel<AuditRecord> _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
    private readonly AuditStats _stats = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Enqueue_QueueFull_Spool_WritesTheRestToTheSpool_NothingDropped()
    {
        using var spool = new AuditSpool(_directory, _stats);
        var observer = Create(spool, AuditOverflow.Spool);
        var records = AuditRecords.Many(Capacity + 5);
        foreach (var record in records)
        {
            observer.Enqueue(record);
        }

        Assert.Equal(Capacity, _queue.Reader.Count);
        Assert.Equal(5, _stats.Overflowed);
        Assert.Equal(5, _stats.Spooled);
        Assert.Equal(0, _stats.Dropped);
        var spooled = new List<AuditRecord>();
        Assert.True(spool.Replay(chunk => { spooled.AddRange(chunk.ToArray()); return true; }, new AuditRecord[64]));
        Assert.Equal(records[Capacity..], spooled);
    }

    [Fact]
    public void Enqueue_QueueFull_Drop_CountsEveryDroppedRecord()
    {
        using var spool = new AuditSpool(_directory, _stats);
        var observer = Create(spool, AuditOverflow.Drop);
        foreach (var record in AuditRecords.Many(Capacity + 7))
        {
            observer.Enqueue(record);
        }

        Assert.Equal(7, _stats.Dropped);
        Assert.Equal(7, _stats.Overflowed);
        Assert.Equal(0, _stats.Spooled);
    }

    [Fact]
    public async Task Enqueue_QueueFull_Block_WaitsUntilTheWriterTakesOne()
    {
        using var spool = new AuditSpool(_directory, _stats);
        var observer = Create(spool, AuditOverflow.Block);
        foreach (var record in AuditRecords.Many(Capacity))
        {
            observer.Enqueue(record);
        }

        var extra = AuditRecords.Sample(1000);
        var blocked = Task.Run(() => observer.Enqueue(extra));
        Assert.True(await TestTimeouts.EventuallyAsync(() => _stats.Overflowed == 1)); // It found the queue full (counted before it waits).
        Assert.False(blocked.IsCompleted);

        Assert.True(_queue.Reader.TryRead(out _));
        await blocked.WithTimeout();
        Assert.Equal(Capacity, _queue.Reader.Count);
        Assert.Equal(1, _stats.Overflowed);
        Assert.Equal(0, _stats.Dropped + _stats.Spooled);
    }

    [Fact]
    public void Enqueue_AfterClose_GoesToTheSpool_WhateverThePolicy()
    {
        using var spool = new AuditSpool(_directory, _stats);
        var observer = Create(spool, AuditOverflow.Drop);
        _queue.Writer.Complete();
        observer.Close();
        observer.Enqueue(AuditRecords.Sample(1));

        Assert.Equal(1, _stats.Spooled);
        Assert.Equal(0, _stats.Dropped);
    }

    private AuditObserver Create(AuditSpool spool, AuditOverflow overflow) =>
        new(_queue.Writer, spool, _stats, new AuditRecordIds(1), "node", overflow, NullLogger.Instance);
}
