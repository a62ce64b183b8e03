using System.Globalization;

namespace FastRelay.Bench.Reporting;

/// <summary>
/// Prints the human-readable report: one block per phase with direct | relay | relay-vs-direct columns,
/// then the acceptance numbers, then every failure.
/// </summary>
internal static class ReportTable
{
    private const int MetricWidth = 34;
    private const int ValueWidth = 14;
    private const int CompareWidth = 22;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes the report to <paramref name="output"/>.</summary>
    public static void Print(TextWriter output, BenchReport report)
    {
        var s = report.Settings;
        output.WriteLine();
        output.WriteLine($"fastrelay-bench {report.Version} | {report.Machine.ProcessorCount} cores | {report.Machine.Runtime} | {report.StartedAt:yyyy-MM-dd HH:mm:ss}Z");
        output.WriteLine($"relay: {s.Relay ?? "(none: --direct-only)"}");
        output.WriteLine(string.Create(Invariant, $"settings: duration {s.DurationSeconds:0.###} s in {s.Rounds} interleaved round(s) (+{s.WarmupSeconds:0.###} s warm-up each{(s.TlsWarmupSeconds > 0 && s.TlsWarmupSeconds >= s.WarmupSeconds ? $"; the first TLS connect round {s.TlsWarmupSeconds:0.###} s, not cut short by the connection count" : "")}), message {s.MessageBytes} B, sessions {s.Sessions}, bulk {s.BulkBytes:N0} B x 1 and x {s.BulkStreams}, connect-count {s.ConnectCount}, client completions {(s.ClientInlineCompletions ? "inline" : "thread pool")}, backends {(s.ChildBackends ? "child processes" : "in-process")}"));
        output.WriteLine();
        output.WriteLine($"{"metric",-MetricWidth}{"direct",ValueWidth}{"relay",ValueWidth}{"relay vs direct",CompareWidth}");
        output.WriteLine(new string('-', MetricWidth + 2 * ValueWidth + CompareWidth));
        string? phase = null;
        foreach (var row in report.Comparisons.Where(r => r.Direct is not null || r.Relay is not null))
        {
            if (row.Phase != phase)
            {
                phase = row.Phase;
                output.WriteLine($"[{phase}]");
            }

            var metric = $"  {row.Metric} ({row.Unit})";
            output.WriteLine($"{metric,-MetricWidth}{Number(row.Direct),ValueWidth}{Number(row.Relay),ValueWidth}{Compare(row),CompareWidth}");
        }

        PrintAcceptance(output, report.Acceptance);
        PrintFailures(output, report.Failures);
    }

    private static void PrintAcceptance(TextWriter output, IReadOnlyList<AcceptanceCheck> checks)
    {
        output.WriteLine();
        output.WriteLine($"{"acceptance",-62}{"value",10}{"target",10}{"result",9}");
        output.WriteLine(new string('-', 91));
        foreach (var check in checks)
        {
            var value = check.Value is { } v ? v.ToString(check.Target.StartsWith("<= +", StringComparison.Ordinal) ? "+0.0;-0.0" : "0.000", Invariant) : "-";
            var result = check.Passed switch { true => "PASS", false => "MISS", null => "n/a" };
            output.WriteLine($"  {check.Name,-60}{value,10}{check.Target,10}{result,9}");
        }
    }

    private static void PrintFailures(TextWriter output, IReadOnlyList<string> failures)
    {
        if (failures.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"!!! {failures.Count} FAILURE(S) - the numbers above are not trustworthy !!!");
        foreach (var failure in failures)
        {
            output.WriteLine($"  ERROR {failure}");
        }
    }

    private static string Number(double? value) => value switch
    {
        null => "-",
        >= 10_000 => value.Value.ToString("N0", Invariant),
        >= 100 => value.Value.ToString("0.0", Invariant),
        _ => value.Value.ToString("0.00", Invariant),
    };

    private static string Compare(ComparisonRow row) => row switch
    {
        { AddedMicros: { } added, Ratio: { } ratio } => string.Create(Invariant, $"{added:+0.0;-0.0} µs ({ratio:0.00}x)"),
        { AddedMicros: { } added } => string.Create(Invariant, $"{added:+0.0;-0.0} µs"),
        { Ratio: { } ratio } => string.Create(Invariant, $"{ratio:0.00}x"),
        _ => "",
    };
}
