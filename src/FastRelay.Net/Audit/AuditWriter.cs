using System.Data.Common;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace FastRelay.Audit;

/// <summary>
/// The one background thread that moves records from the queue to the sink in batches, and to the spool
/// while the sink is unreachable or the spool still holds older records; it replays the spool (oldest
/// first) whenever the sink answers again.
/// </summary>
/// <remarks>
/// Order of work, each round: (1) if the spool holds records and the retry delay has passed, replay it;
/// (2) take up to <see cref="MaxBatch"/> records (waiting for the first); (3) write them to the sink, or append
/// them to the spool and fsync when the sink failed or the spool is not empty (so records stay in order).
/// Failures back off from 250 ms to 5 s. Stopping: <see cref="Abandon"/> hands the batch in flight and the
/// rest of the queue to the spool when the flush deadline passes; a write that then still succeeds leaves a
/// duplicate in the spool, which replay drops by record id.
/// </remarks>
internal sealed class AuditWriter
{
    /// <summary>The most records in one sink call (one transaction, one COPY).</summary>
    public const int MaxBatch = 4096;

    /// <summary>
    /// How long the writer lets records gather after the first one arrives before it writes them (group
    /// commit): one transaction and one fsync per 20 ms at most instead of one per handful of records, which
    /// under connection churn halves the writer's CPU on a 2-core box (bench/README.md, "Audit log").
    /// A record is in the sink at most this much later than without it; skipped when the batch is full.
    /// </summary>
    public static readonly TimeSpan BatchLinger = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    private readonly ChannelReader<AuditRecord> _queue;
    private readonly IAuditSink _sink;
    private readonly AuditSpool _spool;
    private readonly AuditStats _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _target;
    private readonly AuditRecord[] _batch = new AuditRecord[MaxBatch];
    private readonly AuditRecord[] _replayChunk = new AuditRecord[MaxBatch];
    private readonly object _gate = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _abandoned;
    private volatile bool _stopping;
    private TimeSpan _retryDelay = FirstRetry;
    private long _retryAt;

    public AuditWriter(ChannelReader<AuditRecord> queue, IAuditSink sink, AuditSpool spool, AuditStats stats, string target, ILogger logger, TimeProvider time)
    {
        _queue = queue;
        _sink = sink;
        _spool = spool;
        _stats = stats;
        _target = target;
        _logger = logger;
        _time = time;
    }

    /// <summary>Completes when the thread has finished (queue closed and drained, or abandoned).</summary>
    public Task Done => _done.Task;

    /// <summary>Tells the writer the queue is about to close: no more lingering for a fuller batch.</summary>
    public void Stopping() => _stopping = true;

    /// <summary>Starts the thread.</summary>
    public void Start() => new Thread(Run) { IsBackground = true, Name = "fastrelay-audit" }.Start();

    /// <summary>
    /// Gives up on the sink (the flush deadline passed): the batch in flight and whatever is still queued go
    /// to the spool, fsynced, for the next start to replay. Call after the queue was completed.
    /// </summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
            try
            {
                _spool.Append(_batch.AsSpan(0, _inFlight));

                // The rest of the queue through an array of its own: the writer thread may still be handing _batch to
                // the sink, which must not see records change under it (a torn row would then be committed, and
                // the true one dropped at replay as a duplicate of its record id). Once, at shutdown.
                var rest = new AuditRecord[MaxBatch];
                var n = 0;
                while (_queue.TryRead(out rest[n]))
                {
                    if (++n == MaxBatch)
                    {
                        _spool.Append(rest);
                        n = 0;
                    }
                }

                _spool.Append(rest.AsSpan(0, n));
                _spool.Sync();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                AuditLogMessages.SpoolFailed(_logger, _spool.Location, ex);
            }
        }
    }

    private void Run()
    {
        try
        {
            // A restart with a non-empty spool replays it before anything new (that waits in the queue).
            if (_spool.HasPending) TryReplay();
            else TryWrite([]); // Opens the sink: creates or migrates the schema now, and says so if it cannot.

            while (!_abandoned)
            {
                if (_spool.HasPending && _time.GetTimestamp() >= _retryAt && !TryReplay() && _abandoned)
                {
                    break;
                }

                var n = Take(_spool.HasPending ? _retryDelay : Timeout.InfiniteTimeSpan);
                if (n < 0)
                {
                    break; // Closed and drained, or abandoned.
                }

                if (n > 0)
                {
                    Deliver(n);
                }
            }

            // The queue is drained: one last replay (if a retry is due), so a clean stop leaves the spool empty
            // whenever the sink is up. Bounded: the flush deadline abandons it between chunks.
            if (!_abandoned && _spool.HasPending && (_stats.SinkAvailable || _time.GetTimestamp() >= _retryAt))
            {
                TryReplay();
            }
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    // Waits up to `wait` for the first record, then takes what is there. 0: timed out; -1: finished.
    private int Take(TimeSpan wait)
    {
        if (!_queue.TryPeek(out _))
        {
            using var timeout = new CancellationTokenSource(wait);
            try
            {
                if (!_queue.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult())
                {
                    return -1; // Completed and empty.
                }
            }
            catch (OperationCanceledException)
            {
                return 0; // Time to retry the spool.
            }

            // Group commit; not when stopping (the queue is closed), so that a flush is not slowed down.
            if (_queue.Count < MaxBatch && !_queue.Completion.IsCompleted && !_stopping)
            {
                Thread.Sleep(BatchLinger);
            }
        }

        lock (_gate)
        {
            if (_abandoned)
            {
                return -1;
            }

            var n = 0;
            while (n < MaxBatch && _queue.TryRead(out _batch[n]))
            {
                n++;
            }

            _inFlight = n;
            return n;
        }
    }

    private void Deliver(int n)
    {
        var batch = _batch.AsSpan(0, n);
        if (!_spool.HasPending && TryWrite(batch))
        {
            _stats.AddWritten(n);
        }
        else
        {
            Spool(batch);
        }

        lock (_gate)
        {
            _inFlight = 0;
        }
    }

    private void Spool(ReadOnlySpan<AuditRecord> batch)
    {
        try
        {
            _spool.Append(batch);
            _spool.Sync();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _stats.AddDropped(batch.Length);
            AuditLogMessages.SpoolFailed(_logger, _spool.Location, ex);
        }
    }

    private bool TryReplay()
    {
        try
        {
            _spool.Sync(); // Overflowed records appended by connections become durable before anything else.
            var corrupt = _stats.SpoolCorrupt;
            var replayed = _spool.Replay(WriteReplayed, _replayChunk);
            if (_stats.SpoolCorrupt - corrupt is > 0 and var skipped)
            {
                AuditLogMessages.SpoolLinesSkipped(_logger, _spool.Location, skipped, _stats.SpoolCorrupt);
            }

            if (replayed)
            {
                AuditLogMessages.SinkRecovered(_logger, _target, _stats.Replayed);
                return true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AuditLogMessages.SpoolFailed(_logger, _spool.Location, ex);
            Failed();
        }

        return false;
    }

    private bool WriteReplayed(ReadOnlySpan<AuditRecord> chunk)
    {
        if (_abandoned || !TryWrite(chunk))
        {
            return false;
        }

        _stats.AddReplayed(chunk.Length);
        return true;
    }

    private bool TryWrite(ReadOnlySpan<AuditRecord> batch)
    {
        try
        {
            _sink.Write(batch);
            _stats.SinkAvailable = true;
            _retryDelay = FirstRetry;
            return true;
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            if (_stats.SinkAvailable)
            {
                AuditLogMessages.SinkFailed(_logger, _target, ex.Message, _spool.Location, _retryDelay.TotalMilliseconds);
            }
        }
        catch (Exception ex)
        {
            // Not an outage: a bug or a value the store refuses. Loud, but the records stay safe in the spool.
            AuditLogMessages.SinkUnexpectedError(_logger, _target, ex);
        }

        _stats.AddWriteError();
        Failed();
        return false;
    }

    private void Failed()
    {
        _stats.SinkAvailable = false;
        _retryAt = _time.GetTimestamp() + (long)(_retryDelay.TotalSeconds * _time.TimestampFrequency);
        _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, LastRetry.Ticks));
    }

    // An outage or a full disk (Npgsql and SQLite errors are DbExceptions; Npgsql also throws
    // InvalidOperationException for a connection broken mid-batch).
    private static bool IsExpected(Exception ex) =>
        ex is DbException or IOException or SocketException or TimeoutException or UnauthorizedAccessException or InvalidOperationException;
}
