using FastRelay.Audit.Internal;
using FastRelay.Configuration;

namespace FastRelay.Audit.Query;

/// <summary>
/// Reads <c>--audit jsonl:PATH</c>: every line, filtered in process, each record id once (a file has no
/// unique index, see <see cref="JsonlAuditSink"/>), newest first. Lines that are not records are skipped, and so
/// are lines longer than <see cref="AuditJson.MaxLineBytes"/> (unread: see <see cref="LineReader"/>).
/// </summary>
internal sealed class JsonlAuditReader(string path) : IAuditReader
{
    /// <inheritdoc />
    public IReadOnlyList<StoredRecord> Query(AuditQuery query)
    {
        if (Directory.Exists(path))
        {
            throw new AuditReadException($"{Path.GetFullPath(path)} is a directory; expected the audit JSON-lines file the edge's --audit names");
        }

        if (!File.Exists(path))
        {
            throw new AuditReadException($"no audit file at {Path.GetFullPath(path)} (the edge writes it on its first record; check --audit)");
        }

        // Only the newest --limit records are kept while the file is read (the sink never rotates it, so it may hold
        // millions): a min-heap on (timestamp, id). A duplicate (the same record written twice, after a spool replay)
        // has the same key as its first copy: skipped while that copy is kept, and refused like it once it is not.
        var newest = new PriorityQueue<AuditRecord, (DateTime, Guid)>();
        var kept = new HashSet<Guid>();
        try
        {
            using var stream = FifoSafeOpen.Open(path);
            var lines = new LineReader(stream, AuditJson.MaxLineBytes);
            LineKind kind;
            while ((kind = lines.Next(out var line)) != LineKind.End)
            {
                if (kind == LineKind.TooLong || !AuditJson.TryRead(line, out var record) || !query.Matches(record) || kept.Contains(record.RecordId))
                {
                    continue;
                }

                var key = (record.Timestamp, record.RecordId);
                if (newest.Count < query.Limit)
                {
                    newest.Enqueue(record, key);
                    kept.Add(record.RecordId);
                }
                else if (newest.TryPeek(out _, out var oldest) && key.CompareTo(oldest) > 0) // Empty (--limit 0): nothing kept.
                {
                    kept.Remove(newest.Dequeue().RecordId);
                    newest.Enqueue(record, key);
                    kept.Add(record.RecordId);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AuditReadException($"cannot read the audit file {Path.GetFullPath(path)}: {ex.Message}", ex);
        }

        return [.. newest.UnorderedItems.Select(e => e.Element).OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.RecordId).Select(r => new StoredRecord(null, r))];
    }
}
