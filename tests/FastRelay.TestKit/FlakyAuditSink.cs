using System.Collections.Concurrent;
using FastRelay.Audit;

namespace FastRelay.TestKit;

/// <summary>
/// An in-memory audit sink that can be "down" (every write throws, like an unreachable database), keeping
/// every record it stored and how many times each record id arrived, to prove exactly-once delivery.
/// </summary>
internal sealed class FlakyAuditSink : IAuditSink
{
    private readonly ConcurrentDictionary<Guid, int> _arrivals = new();
    private readonly ConcurrentQueue<AuditRecord> _records = new();

    /// <summary>While false, every write fails with an IOException.</summary>
    public volatile bool Available = true;

    /// <summary>Every record stored, in arrival order (duplicates included).</summary>
    public IReadOnlyList<AuditRecord> Records => [.. _records];

    /// <summary>How many times each record id was stored.</summary>
    public IReadOnlyDictionary<Guid, int> Arrivals => _arrivals;

    /// <summary>Write calls that failed.</summary>
    public int Failures;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<AuditRecord> batch)
    {
        if (!Available)
        {
            Interlocked.Increment(ref Failures);
            throw new IOException("the fake database is down");
        }

        foreach (var record in batch)
        {
            _records.Enqueue(record);
            _arrivals.AddOrUpdate(record.RecordId, 1, (_, n) => n + 1);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing held.
    }
}
