using System.Threading.Channels;
using FastRelay.Audit;
using FastRelay.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// A full queue never silently loses a record: spool (the default) writes it to the spool, drop counts it,
/// block waits for room. The queue here has no writer, so it stays full.
/// </summary>
[Collection(nameof(AuditObserverTests))] // Alone: one test blocks sixty pool threads for seconds on purpose.
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
    public void Enqueue_QueueFull_Drop_SaysSoInTheLog_OnceForABurst()
    {
        // Dropped records were counted but only the stop line said so: an operator reading the log learned it at the end.
        using var spool = new AuditSpool(_directory, _stats);
        var log = new FastRelay.Tunnel.Session.ListLogger();
        var observer = new AuditObserver(_queue.Writer, spool, _stats, new AuditRecordIds(1), "node", AuditOverflow.Drop, log);
        foreach (var record in AuditRecords.Many(Capacity + 50))
        {
            observer.Enqueue(record);
        }

        var warning = Assert.Single(log.Entries, e => e.Id.Id == 707);
        Assert.Contains("1 records dropped so far", warning.Message, StringComparison.Ordinal);
        Assert.Equal(50, _stats.Dropped);
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
    public async Task Enqueue_QueueFull_Block_ManyWaitingFlows_LeaveThePoolFreeForOtherWork()
    {
        // A hung database with --audit-overflow block: every flow that closes waits. They used to spin and sleep on
        // pool threads, which the pool met with about one new thread a second, so the admin endpoint (/healthz,
        // /metrics) waited behind them: 45 s for sixty flows here. Waiting in Task.Wait, the pool sees them blocked
        // and adds threads in steps of a few per 250 ms (9 s for sixty, on this 2-core machine). The bound below is
        // loose for that and still far under the old wait; the probe's own timestamps measure it, as any await here
        // would wait for a pool thread too.
        using var spool = new AuditSpool(_directory, _stats);
        var observer = Create(spool, AuditOverflow.Block);
        foreach (var record in AuditRecords.Many(Capacity))
        {
            observer.Enqueue(record);
        }

        // The pool's global queue, as socket completions use it (Task.Run from a pool thread would use its local queue).
        const int Waiters = 60;
        var blocked = Enumerable.Range(0, Waiters).Select(i => Task.Factory.StartNew(() => observer.Enqueue(AuditRecords.Sample(2000 + i)),
            CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default)).ToList();

        // What the admin endpoint's request needs: one pool thread, queued behind the flows.
        var queuedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var probe = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(_ => probe.SetResult(System.Diagnostics.Stopwatch.GetElapsedTime(queuedAt)), null);
        var waited = await probe.Task.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(waited < TimeSpan.FromSeconds(25), $"a pool work item waited {waited.TotalSeconds:0.0} s behind {Waiters} blocked flows");
        Assert.Equal(Waiters, _stats.Overflowed);

        // The writer comes back: every waiter's record gets in, none spooled or dropped.
        var taken = 0;
        while (blocked.Any(t => !t.IsCompleted) && taken < 10 * Waiters)
        {
            if (_queue.Reader.TryRead(out _)) taken++;
            else await Task.Delay(5);
        }

        await Task.WhenAll(blocked).WithTimeout();
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

/// <summary>
/// Runs <see cref="AuditObserverTests"/> alone, after the parallel tests: its block-mode test holds sixty pool threads
/// in Task.Wait for several seconds, and the tests running beside it starved meanwhile (tunnel pings unanswered for
/// 10 s, an idle sweep closing a busy connection, in clean-clone CI runs on 2 cores).
/// </summary>
[CollectionDefinition(nameof(AuditObserverTests), DisableParallelization = true)]
public sealed class AuditObserverCollection;
