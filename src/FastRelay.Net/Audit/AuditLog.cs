using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace FastRelay.Audit;

/// <summary>
/// The running audit log: the observer the edge tells of every decision, the bounded queue, the writer
/// thread, the sink and the spool. Built by <see cref="Start"/>; <see cref="StopAsync"/> flushes.
/// </summary>
/// <remarks>Shutdown order: the edge drains first (every connection's last record is queued), then this.</remarks>
internal sealed class AuditLog : IAsyncDisposable
{
    private readonly Channel<AuditRecord> _queue;
    private readonly AuditSpool _spool;
    private readonly IAuditSink _sink;
    private readonly AuditWriter _writer;
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private int _stopped;

    private AuditLog(AuditOptions options, IAuditSink sink, AuditSpool spool, AuditStats stats, string node, AuditRecordIds ids, ILogger logger, TimeProvider time)
    {
        _options = options;
        _sink = sink;
        _spool = spool;
        _logger = logger;
        Stats = stats;

        // One reader (the writer thread), many writers (connections); Wait mode makes TryWrite fail when full
        // rather than drop, so the overflow policy decides.
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        stats.SetQueueDepth(() => _queue.Reader.Count);
        Observer = new AuditObserver(_queue.Writer, spool, stats, ids, node, options.Overflow, logger);
        _writer = new AuditWriter(_queue.Reader, sink, spool, stats, options.Target.ToString(), logger, time);
    }

    /// <summary>The observer to pass to the edge.</summary>
    public AuditObserver Observer { get; }

    /// <summary>The counters (queue depth, written, spooled, replayed, dropped, write errors).</summary>
    public AuditStats Stats { get; }

    /// <summary>
    /// Opens the spool (which must be writable) and starts the writer; the sink is reached on the writer's
    /// thread, so an unreachable database does not stop the edge from starting: records wait in the spool.
    /// </summary>
    /// <param name="options">The settings; <see cref="AuditSinkKind.Off"/> is not valid here (no log at all).</param>
    /// <param name="node">The node name for every row (resolved from the host name by the caller).</param>
    /// <param name="instance">A random number picked at process start, for record ids (<see cref="AuditRecordIds"/>).</param>
    /// <param name="logger">For the audit log's own diagnostic lines (never one per record).</param>
    /// <param name="time">The clock for retry delays.</param>
    /// <param name="sink">The sink, or null to create the one <paramref name="options"/> names.</param>
    /// <exception cref="IOException">The spool directory cannot be created or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The spool directory is not writable.</exception>
    public static AuditLog Start(AuditOptions options, string node, uint instance, ILogger logger, TimeProvider time, IAuditSink? sink = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stats = new AuditStats();
        var spool = new AuditSpool(options.SpoolDirectory, stats);
        var log = new AuditLog(options, sink ?? AuditSinks.Create(options.Target), spool, stats, node, new AuditRecordIds(instance), logger, time);
        var (target, overflow, spoolPath) = (options.Target.ToString(), options.Overflow.ToString().ToLowerInvariant(), Path.GetFullPath(options.SpoolDirectory));
        AuditLogMessages.Started(logger, target, node, options.QueueCapacity, overflow, spoolPath, stats.SpoolBytes);
        log._writer.Start();
        return log;
    }

    /// <summary>
    /// Closes the queue and lets the writer write everything to the sink for up to
    /// <see cref="AuditOptions.FlushTimeout"/>; what is not written by then is left in the spool (fsynced),
    /// for the next start. Never throws; idempotent.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _writer.Stopping();
        Observer.Close();
        _queue.Writer.TryComplete();
        var finished = await _writer.Done.WaitAsync(_options.FlushTimeout).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        if (!finished)
        {
            AuditLogMessages.FlushDeadlinePassed(_logger, _options.FlushTimeout.TotalSeconds, Path.GetFullPath(_spool.Location));
            _writer.Abandon();
        }
        else
        {
            _sink.Dispose(); // The writer is done with it (an abandoned writer may still be inside it).
        }

        _spool.Dispose(); // Flushes and fsyncs what late records (closed queue) appended.
        AuditLogMessages.Stopped(_logger, Stats.Written, Stats.Spooled, Stats.Replayed, Stats.Dropped, Stats.Overflowed, Stats.WriteErrors, Stats.SpoolCorrupt, Stats.SpoolBytes);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();
}
