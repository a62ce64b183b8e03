using System.Globalization;
using FastRelay.Audit;

namespace FastRelay.CommandLine;

/// <summary>Prints audit records as an aligned text table for <c>audit query --format table</c>.</summary>
internal static class AuditTable
{
    private static readonly string[] Headers =
        ["TIME (UTC)", "NODE", "CONN", "ACTION", "VERDICT", "SOURCE", "SERVICE", "DESTINATION", "RULE", "REASON", "BYTES IN/OUT", "MS", "RECORD ID"];

    /// <summary>Writes a header, one line per record, and a count.</summary>
    public static void Write(IReadOnlyList<AuditRecord> records, TextWriter output)
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

    private static string[] Cells(AuditRecord r) =>
    [
        r.Timestamp.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        r.Node,
        r.ConnectionId.ToString(CultureInfo.InvariantCulture),
        AuditActions.Name(r.Action),
        r.Verdict ? "allow" : "deny",
        r.Client?.ToString() ?? "-",
        r.Service,
        r.Destination?.ToString() ?? "-",
        r.RuleGroup is { } group ? $"{group}#{r.RuleIndex}" : "-",
        r.Reason?.ToString() ?? "-",
        r.Action == AuditAction.Close ? $"{r.BytesFromClient}/{r.BytesToClient}" : "-",
        r.Duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture),
        r.RecordId.ToString(),
    ];

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
