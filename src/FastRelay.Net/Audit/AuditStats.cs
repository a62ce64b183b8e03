namespace FastRelay.Audit;

/// <summary>
/// The audit log's counters, for the metrics endpoint and the stop line. Every value only grows except
/// <see cref="QueueDepth"/> and <see cref="SpoolBytes"/>. Thread-safe: written with interlocked operations,
/// readable at any time.
/// </summary>
/// <remarks>
/// Every record the observer is given ends up counted exactly once as <see cref="Written"/> (straight to the
/// sink), <see cref="Spooled"/> (to the spool; later also <see cref="Replayed"/>) or <see cref="Dropped"/>
/// (only with <c>--audit-overflow drop</c>, or if the spool's disk fails).
/// </remarks>
internal sealed class AuditStats
{
    private long _written;
    private long _spooled;
    private long _replayed;
    private long _dropped;
    private long _overflowed;
    private long _writeErrors;
    private long _spoolCorrupt;
    private long _spoolBytes;
    private Func<int> _queueDepth = static () => 0;

    /// <summary>Records waiting in the queue now.</summary>
    public int QueueDepth => _queueDepth();

    /// <summary>Records written to the sink straight from the queue.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Records appended to the spool (sink down, spool not yet empty, queue full, or shutdown deadline).</summary>
    public long Spooled => Volatile.Read(ref _spooled);

    /// <summary>Records written to the sink from the spool (a record replayed twice after a partial failure counts twice).</summary>
    public long Replayed => Volatile.Read(ref _replayed);

    /// <summary>Records lost: dropped by <c>--audit-overflow drop</c>, or not spooled because the spool's disk failed.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Records that met a full queue (then spooled, dropped or waited for, per <c>--audit-overflow</c>).</summary>
    public long Overflowed => Volatile.Read(ref _overflowed);

    /// <summary>Batches the sink failed to write (each is spooled and retried).</summary>
    public long WriteErrors => Volatile.Read(ref _writeErrors);

    /// <summary>Spool lines skipped on replay because their checksum failed or they were torn.</summary>
    public long SpoolCorrupt => Volatile.Read(ref _spoolCorrupt);

    /// <summary>Bytes in the spool's segment files now.</summary>
    public long SpoolBytes
    {
        get => Volatile.Read(ref _spoolBytes);
        internal set => Volatile.Write(ref _spoolBytes, value);
    }

    /// <summary>True while the last write to the sink succeeded (false from a failure until a write succeeds).</summary>
    public bool SinkAvailable { get; internal set; } = true;

    internal void SetQueueDepth(Func<int> depth) => _queueDepth = depth;

    internal void AddWritten(int n) => Interlocked.Add(ref _written, n);

    internal void AddSpooled(int n) => Interlocked.Add(ref _spooled, n);

    internal void AddReplayed(int n) => Interlocked.Add(ref _replayed, n);

    internal void AddDropped(int n) => Interlocked.Add(ref _dropped, n);

    internal void AddOverflowed() => Interlocked.Increment(ref _overflowed);

    internal void AddWriteError() => Interlocked.Increment(ref _writeErrors);

    internal void AddSpoolCorrupt(int n) => Interlocked.Add(ref _spoolCorrupt, n);
}
