using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace FastRelay.Bench.Failover;

/// <summary>
/// What the failover run measured, all times in milliseconds from the kill. New sessions: the first success after
/// the kill, and the end of the last failure ("every new session succeeds within X ms"). Established sessions: how
/// many the kill reset, and how long after the kill their clients learned it (p50, max); how many were left hanging.
/// </summary>
internal sealed record FailoverReport
{
    public required DateTimeOffset StartedAt { get; init; }

    public required string Signal { get; init; }

    public required string EdgeCommand { get; init; }

    public required int PingIntervalMs { get; init; }

    public required int TargetMs { get; init; }

    public required int EstablishedSessions { get; init; }

    public required int NewPerSecond { get; init; }

    public required long NewBeforeKillSucceeded { get; init; }

    public required long NewBeforeKillFailed { get; init; }

    public required long NewAfterKillSucceeded { get; init; }

    public required long NewAfterKillFailed { get; init; }

    public required long NewStartedAfterKillFailed { get; init; }

    public required long NewSkipped { get; init; }

    public double? FirstSuccessAfterKillMs { get; init; }

    public required double LastFailureAfterKillMs { get; init; }

    public double? NewLatencyAfterKillP50Ms { get; init; }

    public double? NewLatencyAfterKillP99Ms { get; init; }

    public double? NewLatencyAfterKillMaxMs { get; init; }

    public required int EstablishedResetByKill { get; init; }

    public double? ResetAfterKillP50Ms { get; init; }

    public double? ResetAfterKillMaxMs { get; init; }

    public required int EstablishedEndedBeforeKill { get; init; }

    public required int EstablishedSurvived { get; init; }

    public required int EstablishedHung { get; init; }

    public string? FirstFailure { get; init; }

    public required bool Passed { get; init; }

    /// <summary>Builds the report from the raw outcomes; <paramref name="killAt"/> and <paramref name="endAt"/> are Stopwatch timestamps.</summary>
    public static FailoverReport Build(FailoverOptions options, DateTimeOffset startedAt, string edgeCommand, long killAt, long endAt,
        IReadOnlyCollection<NewSessionOutcome> outcomes, long skipped, IReadOnlyList<LongSession> sessions)
    {
        double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

        var before = outcomes.Where(o => o.End < killAt).ToList();
        var after = outcomes.Where(o => o.End >= killAt).ToList();
        var failures = after.Where(o => !o.Succeeded).ToList();
        var latencies = after.Where(o => o.Succeeded && o.Start >= killAt).Select(o => Ms(o.Start, o.End)).Order().ToList();
        var resets = sessions.Where(s => s.EndedAt >= killAt).Select(s => Ms(killAt, s.EndedAt)).Order().ToList();
        var hangLimit = (long)(Stopwatch.Frequency * 2.0); // A ping unanswered for 2 s: left hanging, not slow.
        var hung = sessions.Count(s => s.EndedAt == 0 && s.OutstandingSince != 0 && endAt - s.OutstandingSince > hangLimit);
        var lastFailure = failures.Count == 0 ? 0 : failures.Max(o => Ms(killAt, o.End));
        var firstSuccess = after.Where(o => o.Succeeded && o.Start >= killAt).Select(o => (double?)Ms(killAt, o.End)).Min();
        return new FailoverReport
        {
            StartedAt = startedAt,
            Signal = options.Signal == KillSignal.Kill ? "SIGKILL" : "SIGSTOP",
            EdgeCommand = edgeCommand,
            PingIntervalMs = (int)options.PingInterval.TotalMilliseconds,
            TargetMs = (int)options.Target.TotalMilliseconds,
            EstablishedSessions = sessions.Count,
            NewPerSecond = options.NewPerSecond,
            NewBeforeKillSucceeded = before.Count(o => o.Succeeded),
            NewBeforeKillFailed = before.Count(o => !o.Succeeded),
            NewAfterKillSucceeded = after.Count(o => o.Succeeded),
            NewAfterKillFailed = failures.Count,
            NewStartedAfterKillFailed = failures.Count(o => o.Start >= killAt),
            NewSkipped = skipped,
            FirstSuccessAfterKillMs = firstSuccess,
            LastFailureAfterKillMs = lastFailure,
            NewLatencyAfterKillP50Ms = Percentile(latencies, 0.50),
            NewLatencyAfterKillP99Ms = Percentile(latencies, 0.99),
            NewLatencyAfterKillMaxMs = latencies.Count == 0 ? null : latencies[^1],
            EstablishedResetByKill = resets.Count,
            ResetAfterKillP50Ms = Percentile(resets, 0.50),
            ResetAfterKillMaxMs = resets.Count == 0 ? null : resets[^1],
            EstablishedEndedBeforeKill = sessions.Count(s => s.EndedAt != 0 && s.EndedAt < killAt),
            EstablishedSurvived = sessions.Count(s => s.EndedAt == 0),
            EstablishedHung = hung,
            FirstFailure = failures.Concat(before.Where(o => !o.Succeeded)).Select(o => o.Error).FirstOrDefault(),
            Passed = lastFailure <= options.Target.TotalMilliseconds && firstSuccess is not null && hung == 0 && skipped == 0
                && before.All(o => o.Succeeded),
        };
    }

    /// <summary>The table printed at the end of the run.</summary>
    public IEnumerable<string> Lines()
    {
        static string F(double? ms) => ms is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "n/a";
        yield return $"fastrelay-bench failover: {Signal} of gateway 1 of 2, {EstablishedSessions} established sessions, {NewPerSecond} new sessions/s, ping interval {PingIntervalMs} ms";
        yield return $"  new sessions before the kill      {NewBeforeKillSucceeded} ok, {NewBeforeKillFailed} failed";
        yield return $"  new sessions after the kill       {NewAfterKillSucceeded} ok, {NewAfterKillFailed} failed ({NewStartedAfterKillFailed} of the failed ones had started after the kill){(NewSkipped > 0 ? $", {NewSkipped} skipped (too many in flight)" : "")}";
        yield return $"  first success after the kill      {F(FirstSuccessAfterKillMs)}";
        yield return $"  last failure after the kill       {F(LastFailureAfterKillMs)}   (every new session succeeds within this of the kill)";
        yield return $"  new-session latency after kill    p50 {F(NewLatencyAfterKillP50Ms)}, p99 {F(NewLatencyAfterKillP99Ms)}, max {F(NewLatencyAfterKillMaxMs)}";
        yield return $"  established reset by the kill     {EstablishedResetByKill}, reset after p50 {F(ResetAfterKillP50Ms)}, max {F(ResetAfterKillMaxMs)}";
        yield return $"  established survived / hung       {EstablishedSurvived} / {EstablishedHung}{(EstablishedEndedBeforeKill > 0 ? $" ({EstablishedEndedBeforeKill} ended before the kill)" : "")}";
        if (FirstFailure is not null)
        {
            yield return $"  first failure                     {FirstFailure}";
        }

        yield return Passed
            ? $"PASS: every new session succeeded within {F(LastFailureAfterKillMs)} of the kill (target {TargetMs} ms), none hung"
            : $"FAIL: target {TargetMs} ms: last failure {F(LastFailureAfterKillMs)} after the kill, {EstablishedHung} hung, {NewSkipped} skipped, first success {F(FirstSuccessAfterKillMs)}";
    }

    private static double? Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

/// <summary>Source-generated System.Text.Json metadata for the failover report (no reflection at run time).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FailoverReport))]
internal sealed partial class FailoverJsonContext : JsonSerializerContext;
