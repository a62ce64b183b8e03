using System.Globalization;
using FastRelay.Audit;
using FastRelay.Audit.Query;
using FastRelay.Diagnostics;

namespace FastRelay.CommandLine;

/// <summary>Prints audit records as an aligned text table for <c>audit query --format table</c>.</summary>
internal static class AuditTable
{
    private static readonly string[] Headers =
        ["TIME (UTC)", "NODE", "CONN", "ACTION", "VERDICT", "SOURCE", "SERVICE", "DESTINATION", "RULE", "REASON", "BYTES IN/OUT", "MS", "RECORD ID"];

    /// <summary>Writes a header, one line per record, and a count.</summary>
    public static void Write(IReadOnlyList<StoredRecord> records, TextWriter output)
    {
        var rows = records.Select(Cells).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(Headers, widths));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row, widths));
        }

        output.WriteLine($"({records.Count} record{(records.Count == 1 ? "" : "s")})");
    }

    // A column the record's types could not hold (an auditor's own row) shows as stored: NULL, or its text.
    private static string[] Cells(StoredRecord stored)
    {
        var r = stored.Record;
        return
        [
            stored.StoredText("timestamp") ?? r.Timestamp.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
            stored.StoredText("node") ?? r.Node,
            stored.StoredText("connection_id") ?? r.ConnectionId.ToString(CultureInfo.InvariantCulture),
            stored.StoredText("action") ?? AuditActions.Name(r.Action),
            stored.StoredText("verdict") ?? (r.Verdict ? "allow" : "deny"),
            r.Client is null ? "-" : stored.StoredText("src_port") is null ? r.Client.ToString() : PlainAddress.Of(r.Client.Address).ToString(),
            stored.StoredText("dest_service") ?? r.Service,
            r.Destination is null ? "-" : stored.StoredText("dest_port") is null ? r.Destination.ToString() : PlainAddress.Of(r.Destination.Address).ToString(),
            r.RuleGroup is { } group ? $"{group}#{r.RuleIndex}" : "-",
            stored.StoredText("close_reason") ?? r.Reason?.ToString() ?? "-",
            r.Action == AuditAction.Close && stored.StoredText("action") is null
                ? $"{stored.StoredText("bytes_from_client") ?? r.BytesFromClient.ToString(CultureInfo.InvariantCulture)}/{stored.StoredText("bytes_to_client") ?? r.BytesToClient.ToString(CultureInfo.InvariantCulture)}"
                : "-",
            stored.StoredText("duration_ms") ?? r.Duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
            stored.StoredText("record_id") ?? r.RecordId.ToString(),
        ];
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
