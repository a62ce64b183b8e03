using System.Data.Common;
using System.Globalization;
using System.Net;
using FastRelay.Diagnostics;

namespace FastRelay.Audit.Query;

/// <summary>
/// Turns a database row of <c>access_logs</c> into an <see cref="AuditRecord"/>, whichever store it came
/// from (PostgreSQL's inet/uuid/timestamp values or SQLite's text) and even for rows the auditors' own tools
/// wrote (FastRelay's columns then null).
/// </summary>
internal static class AuditRows
{
    /// <summary>The columns a query selects, in <see cref="Read"/>'s order.</summary>
    public static readonly string[] Selected = AuditSchema.Written;

    /// <summary>The SELECT list of a query: <see cref="Selected"/>, then the row's <c>id</c>.</summary>
    public static readonly string SelectList = string.Join(", ", Selected) + ", id";

    /// <summary>
    /// <see cref="SelectList"/> for a table that has only <paramref name="existing"/> of its columns: each missing one
    /// as a NULL. The auditors' own six-column table is read before any edge has migrated it (an edge adds the
    /// columns at its first write, and a query opens the store read-only); "no such column: record_id" was the answer.
    /// An empty set (no such table) gives the full list, so that the store's own error names the table.
    /// </summary>
    public static string SelectListFor(IReadOnlySet<string> existing) =>
        existing.Count == 0 ? SelectList
            : string.Join(", ", Selected.Append("id").Select(c => existing.Contains(c) ? c : $"NULL AS {c}"));

    /// <summary>Reads the current row of <paramref name="row"/> (selected as <see cref="SelectList"/>) with its id.</summary>
    public static StoredRecord ReadStored(DbDataReader row)
    {
        var id = row.IsDBNull(Selected.Length) ? (long?)null : Convert.ToInt64(row.GetValue(Selected.Length), CultureInfo.InvariantCulture);
        var record = Read(row);
        return new StoredRecord(id, record, NotHeld(row, record));
    }

    // The columns of the row whose value the record could not hold, as stored (StoredRecord.AsStored); null when none.
    private static Dictionary<string, object?>? NotHeld(DbDataReader row, in AuditRecord record)
    {
        Dictionary<string, object?>? notHeld = null;
        void Keep(string name, object? value) => (notHeld ??= new(StringComparer.Ordinal))[name] = value;
        object? Get(string name) => row.GetValue(Array.IndexOf(Selected, name)) is var v && v is DBNull ? null : v;

        if (Get("record_id") is not (Guid or string { Length: > 0 }) || record.RecordId == Guid.Empty) Keep("record_id", Get("record_id"));
        if (record.Timestamp == default) Keep("timestamp", Get("timestamp"));
        if (Get("node") is null) Keep("node", null);
        if (Get("dest_service") is null) Keep("dest_service", null);
        if (Get("connection_id") is null) Keep("connection_id", null);
        if (!AuditActions.TryParse(Get("action") as string, out _)) Keep("action", Get("action"));
        if (Get("verdict") is not (bool or long)) Keep("verdict", Get("verdict"));
        if (record.Client is not null && Get("src_port") is null) Keep("src_port", null);
        if (record.Destination is not null && Get("dest_port") is null) Keep("dest_port", null);
        if (Get("close_reason") is { } reason && record.Reason is null) Keep("close_reason", reason);
        foreach (var column in (ReadOnlySpan<string>)["bytes_from_client", "bytes_to_client", "duration_ms"])
        {
            if (Get(column) is null) Keep(column, null);
        }

        return notHeld;
    }

    /// <summary>Reads the current row of <paramref name="row"/> (selected as <see cref="Selected"/> first).</summary>
    public static AuditRecord Read(DbDataReader row)
    {
        object? Get(string name)
        {
            var value = row.GetValue(Array.IndexOf(Selected, name));
            return value is DBNull ? null : value;
        }

        var srcIp = Address(Get("src_ip"));
        var destIp = Address(Get("dest_ip"));
        _ = AuditActions.TryParse(Get("action") as string, out var action);
        return new AuditRecord
        {
            RecordId = Get("record_id") switch { Guid g => g, string s when Guid.TryParse(s, out var g) => g, _ => Guid.Empty },
            Timestamp = Get("timestamp") switch
            {
                DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Utc),
                string s when DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) => t,
                _ => default,
            },
            Node = Get("node") as string ?? "",
            ConnectionId = Convert.ToInt64(Get("connection_id") ?? 0L, CultureInfo.InvariantCulture),
            Action = action,
            Verdict = Get("verdict") switch { bool b => b, long n => n != 0, _ => false },
            Client = srcIp is null ? null : new IPEndPoint(srcIp, Int(Get("src_port")) ?? 0),
            Service = Get("dest_service") as string ?? "",
            Destination = destIp is null ? null : new IPEndPoint(destIp, Int(Get("dest_port")) ?? 0),
            Listener = Get("listener") is string l && IPEndPoint.TryParse(l, out var listener) ? listener : null,
            Identity = Get("client_identity") as string,
            CertificateSha256 = Get("cert_sha256") as string,
            RuleGroup = Get("rule_group") as string,
            RuleIndex = Int(Get("rule_index")),
            Reason = Enum.TryParse<CloseReason>(Get("close_reason") as string, out var reason) ? reason : null,
            Detail = Get("detail") as string,
            BytesFromClient = Convert.ToInt64(Get("bytes_from_client") ?? 0L, CultureInfo.InvariantCulture),
            BytesToClient = Convert.ToInt64(Get("bytes_to_client") ?? 0L, CultureInfo.InvariantCulture),
            Duration = TimeSpan.FromMilliseconds(Convert.ToDouble(Get("duration_ms") ?? 0.0, CultureInfo.InvariantCulture)),
        };
    }

    private static IPAddress? Address(object? value) => value switch
    {
        IPAddress a => a,
        string s when IPAddress.TryParse(s, out var a) => a,
        _ => null,
    };

    private static int? Int(object? value) => value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
}
