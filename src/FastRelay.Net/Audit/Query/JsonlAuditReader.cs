namespace FastRelay.Audit.Query;

/// <summary>
/// Reads <c>--audit jsonl:PATH</c>: every line, filtered in process, each record id once (a file has no
/// unique index, see <see cref="JsonlAuditSink"/>), newest first. Lines that are not records are skipped.
/// </summary>
internal sealed class JsonlAuditReader(string path) : IAuditReader
{
    /// <inheritdoc />
    public IReadOnlyList<AuditRecord> Query(AuditQuery query)
    {
        if (!File.Exists(path))
        {
            throw new AuditReadException($"no audit file at {Path.GetFullPath(path)} (the edge writes it on its first record; check --audit)");
        }

        var seen = new HashSet<Guid>();
        var records = new List<AuditRecord>();
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (AuditJson.TryRead(System.Text.Encoding.UTF8.GetBytes(line), out var record) && query.Matches(record) && seen.Add(record.RecordId))
                {
                    records.Add(record);
                }
            }
        }
        catch (IOException ex)
        {
            throw new AuditReadException($"cannot read the audit file {Path.GetFullPath(path)}: {ex.Message}", ex);
        }

        return [.. records.OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.RecordId).Take(query.Limit)];
    }
}
