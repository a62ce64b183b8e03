using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FastRelay.Bench.Soak;

/// <summary>The soak's result: the curve, the sessions, the restart window, the audit check, growth, and the verdict.</summary>
internal sealed record SoakReport(
    SoakOptions Options,
    IReadOnlyList<SoakSample> Samples,
    long Completed,
    long Reset,
    long Handshakes,
    long CompletedBytes,
    int FailedInRestartWindow,
    IReadOnlyList<SessionFailure> FailedOutsideRestart,
    double? KilledAt,
    double? RecoveredAt,
    IReadOnlyList<SoakAudit.Group> AuditGroups,
    IReadOnlyList<string> AuditProblems,
    int? EdgeExitCode,
    IReadOnlyList<string> GrowthLines,
    IReadOnlyList<string> GrowthProblems,
    long EchoedThenFailed,
    long ResetsNotClientReset)
{
    /// <summary>True when every check held.</summary>
    public bool Passed => FailedOutsideRestart.Count == 0 && AuditProblems.Count == 0 && GrowthProblems.Count == 0 && EdgeExitCode == 0 && Completed > 0;

    public static SoakReport Build(SoakOptions options, IReadOnlyList<SoakSample> samples, SoakLoad load, double? killedAt, double? recovered,
        IReadOnlyList<SoakAudit.Group> groups, IReadOnlyList<string> auditProblems, long resetsElsewhere, int? edgeExit,
        double rssTolerance, long rssSlack, int descriptorSlack, int threadSlack)
    {
        // The restart window: from the kill until the first session that completed through the restarted gateway (a
        // session that ends after the kill and began before the recovery was in flight or waiting for the pool).
        var failures = load.Failures;
        double? recoveredAt = killedAt is null ? null : recovered ?? double.MaxValue;

        bool InWindow(SessionFailure f) => killedAt is { } k && f.Ended >= k && f.Started <= recoveredAt;
        var outside = failures.Where(f => !InWindow(f)).ToList();

        var growth = new List<string>();
        var problems = new List<string>();
        var end = samples.Count == 0 ? 0 : samples[^1].Seconds;
        // The sample at 0 s is taken as the load starts (the edge idle after start-up): part of the curve, not of the
        // first minute under load, which the comparison is about.
        Compare("edge", samples.Where(s => s.Edge is not null && s.Seconds >= 1).Select(s => (s.Seconds, s.Edge!)).ToList(), 0, end);
        var gatewayStart = killedAt is null ? 0 : samples.FirstOrDefault(s => s.GatewayGeneration == 1 && s.Gateway is not null)?.Seconds ?? end;
        if (!options.Plain)
        {
            Compare("gateway" + (killedAt is null ? "" : " (after its restart)"),
                samples.Where(s => s.Gateway is not null && s.GatewayGeneration == (killedAt is null ? 0 : 1)).Select(s => (s.Seconds, s.Gateway!)).ToList(), gatewayStart, end);
        }

        return new SoakReport(options, samples, load.Completed, load.Reset, load.Handshakes, load.CompletedBytes, failures.Count - outside.Count, outside,
            killedAt, recoveredAt, groups, auditProblems, edgeExit, growth, problems, load.EchoedThenFailed, resetsElsewhere);

        void Compare(string name, List<(double Seconds, ProcessSample Sample)> series, double from, double to)
        {
            var first = series.Where(p => p.Seconds < from + 60).Select(p => p.Sample).ToList();
            var last = series.Where(p => p.Seconds >= to - 60).Select(p => p.Sample).ToList();
            if (first.Count == 0 || last.Count == 0)
            {
                problems.Add($"{name}: no samples to compare");
                return;
            }

            double Mean(List<ProcessSample> xs, Func<ProcessSample, double> f) => xs.Average(f);
            var rss0 = Mean(first, s => s.RssBytes);
            var rss1 = Mean(last, s => s.RssBytes);
            var fd0 = Mean(first, s => s.Descriptors);
            var fd1 = Mean(last, s => s.Descriptors);
            var th0 = Mean(first, s => s.Threads);
            var th1 = Mean(last, s => s.Threads);
            var rssLimit = rss0 + Math.Max(rss0 * rssTolerance, rssSlack);
            growth.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name}: RSS {rss0 / 1048576:0.0} -> {rss1 / 1048576:0.0} MiB (limit {rssLimit / 1048576:0.0}), descriptors {fd0:0} -> {fd1:0} (limit {fd0 + descriptorSlack:0}), threads {th0:0} -> {th1:0} (limit {th0 + threadSlack:0}); first-minute mean vs last-minute mean"));
            if (rss1 > rssLimit)
            {
                problems.Add($"{name}: RSS grew beyond the limit");
            }

            if (fd1 > fd0 + descriptorSlack)
            {
                problems.Add($"{name}: descriptors grew beyond the limit");
            }

            if (th1 > th0 + threadSlack)
            {
                problems.Add($"{name}: threads grew beyond the limit");
            }
        }
    }

    public static async Task PrintAsync(SoakReport r, TextWriter output)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"  sessions: {r.Completed} completed byte-exact ({r.CompletedBytes / 1048576.0:0.0} MiB each way), {r.Reset} reset by the client, {r.FailedInRestartWindow + r.FailedOutsideRestart.Count} failed"));
        if (r.KilledAt is { } kill)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"  gateway restart: killed at {kill:0} s, first session through the new one at {(r.RecoveredAt is { } rec && rec < double.MaxValue ? rec.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "the end (never)")}; {r.FailedInRestartWindow} sessions failed in that window (in flight or waiting for the pool)"));
        }

        text.AppendLine($"  failures outside the restart window: {r.FailedOutsideRestart.Count}");
        foreach (var f in r.FailedOutsideRestart.Take(10))
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"    {f.Started:0.0}-{f.Ended:0.0} s: {f.Error}"));
        }

        text.AppendLine($"  audit records (edge, after it exited with code {r.EdgeExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none: still running after 30 s"}):");
        foreach (var g in r.AuditGroups)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"    {g.Action,-10} {(g.Verdict ? "allow" : "deny"),-5} {g.CloseReason ?? "-",-24} {g.Count,9}  bytes {g.BytesFromClient}/{g.BytesToClient}"));
        }

        text.AppendLine(r.AuditProblems.Count == 0
            ? r.Options.Plain
                ? $"  audit check: an inbound and a close record per connection ({r.Handshakes}), no handshake, Completed closes = the byte-exact sessions with their bytes: OK"
                : $"  audit check: an inbound and a handshake record per connection ({r.Handshakes}), a close per allowed handshake, Completed closes = the byte-exact sessions with their bytes: OK"
            : "  audit check FAILED: " + string.Join("; ", r.AuditProblems));
        if (r.ResetsNotClientReset > 0)
        {
            text.AppendLine($"  note: {r.ResetsNotClientReset} of {r.Reset} client resets were recorded with another close reason than ClientReset (Completed, by the byte counts)");
        }

        foreach (var line in r.GrowthLines)
        {
            text.AppendLine("  " + line);
        }

        foreach (var problem in r.GrowthProblems)
        {
            text.AppendLine("  growth check FAILED: " + problem);
        }

        text.AppendLine(r.Passed ? "  soak: PASS" : "  soak: FAIL");
        await output.WriteAsync(text.ToString());
    }

    public static string ToJson(SoakReport r)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("passed", r.Passed);
            json.WriteNumber("durationSeconds", r.Options.Duration.TotalSeconds);
            json.WriteNumber("concurrency", r.Options.Concurrency);
            json.WriteNumber("maxPayload", r.Options.MaxPayload);
            json.WriteNumber("resetPercent", r.Options.ResetPercent);
            json.WriteNumber("completed", r.Completed);
            json.WriteNumber("completedBytes", r.CompletedBytes);
            json.WriteNumber("reset", r.Reset);
            json.WriteNumber("handshakes", r.Handshakes);
            json.WriteNumber("failedInRestartWindow", r.FailedInRestartWindow);
            json.WriteNumber("failedOutsideRestart", r.FailedOutsideRestart.Count);
            if (r.KilledAt is { } kill)
            {
                json.WriteNumber("gatewayKilledAtSeconds", kill);
            }

            if (r.RecoveredAt is { } recovered && recovered < double.MaxValue)
            {
                json.WriteNumber("firstSessionAfterRestartSeconds", recovered);
            }

            json.WriteNumber("echoedThenFailed", r.EchoedThenFailed);
            json.WriteNumber("resetsNotClientReset", r.ResetsNotClientReset);

            if (r.EdgeExitCode is { } code)
            {
                json.WriteNumber("edgeExitCode", code);
            }

            json.WriteStartArray("samples");
            foreach (var s in r.Samples)
            {
                json.WriteStartObject();
                json.WriteNumber("seconds", Math.Round(s.Seconds, 1));
                Process(json, "edge", s.Edge);
                Process(json, "gateway", s.Gateway);
                json.WriteNumber("gatewayGeneration", s.GatewayGeneration);
                json.WriteNumber("completed", s.Completed);
                json.WriteNumber("reset", s.Reset);
                json.WriteNumber("failed", s.Failed);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("audit");
            foreach (var g in r.AuditGroups)
            {
                json.WriteStartObject();
                json.WriteString("action", g.Action);
                json.WriteBoolean("verdict", g.Verdict);
                json.WriteString("closeReason", g.CloseReason);
                json.WriteNumber("count", g.Count);
                json.WriteNumber("bytesFromClient", g.BytesFromClient);
                json.WriteNumber("bytesToClient", g.BytesToClient);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            Strings(json, "auditProblems", r.AuditProblems);
            Strings(json, "growth", r.GrowthLines);
            Strings(json, "growthProblems", r.GrowthProblems);
            Strings(json, "failuresOutsideRestart", r.FailedOutsideRestart.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Started:0.0}-{f.Ended:0.0} s: {f.Error}")));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Process(Utf8JsonWriter json, string name, ProcessSample? sample)
    {
        if (sample is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("rssBytes", sample.RssBytes);
        json.WriteNumber("descriptors", sample.Descriptors);
        json.WriteNumber("threads", sample.Threads);
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }
}
