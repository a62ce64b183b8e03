using FastRelay.Bench.Cli;
using FastRelay.Bench.Phases;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Reporting;

/// <summary>
/// One of the acceptance numbers, as measured in this run. <see cref="Passed"/> is null when the run
/// could not measure it (phase not selected, direct-only, or a phase failed).
/// </summary>
internal sealed record AcceptanceCheck(string Name, double? Value, string Target, bool? Passed)
{
    private const double MinBulkRatio = 0.40;
    private const double MinSessionsRatio = 0.55;
    private const double MaxAddedP50Micros = 35;
    private const double MinTlsBulkRatio = 0.20;
    private const double MaxHandshakeCpuMillis = 1.5;

    /// <summary>
    /// Evaluates the plain relay's three acceptance numbers (bulk on both stream counts) from the results and, when the
    /// mTLS path ran (<c>--tls</c>), the mutual-TLS edge's two (bulk on both stream counts, CPU per full handshake).
    /// </summary>
    public static List<AcceptanceCheck> Evaluate(RunOptions options, IReadOnlyList<PhaseResult> results)
    {
        double? Ratio(PhaseKind phase, Func<PhaseResult, double?> value) =>
            Pair(results, phase) is { } pair && value(pair.Direct) is > 0 and { } direct && value(pair.Relay) is { } relay
                ? relay / direct
                : null;

        var bulkOne = Ratio(PhaseKind.Bulk, r => r.MegabytesPerSecond);
        var bulkMany = Ratio(PhaseKind.BulkMany, r => r.MegabytesPerSecond);
        var sessions = Ratio(PhaseKind.Sessions, r => r.OperationsPerSecond);
        double? addedP50 = Pair(results, PhaseKind.Latency) is { } latency
            && latency.Direct.Latency is { } a && latency.Relay.Latency is { } b
                ? b.P50Micros - a.P50Micros
                : null;

        // The sessions target is defined at 1000 sessions; another count is still shown, with its count.
        var sessionsName = options.Sessions == 1000
            ? "exchanges/s relay/direct at 1000 sessions"
            : $"exchanges/s relay/direct at {options.Sessions} sessions (target: at 1000)";
        List<AcceptanceCheck> checks =
        [
            new("bulk throughput relay/direct, 1 stream", bulkOne, $">= {MinBulkRatio:0.00}", AtLeast(bulkOne, MinBulkRatio)),
            new($"bulk throughput relay/direct, {options.BulkStreams} streams", bulkMany, $">= {MinBulkRatio:0.00}", AtLeast(bulkMany, MinBulkRatio)),
            new(sessionsName, sessions, $">= {MinSessionsRatio:0.00}", AtLeast(sessions, MinSessionsRatio)),
            new("RTT p50 added on 1 connection (µs)", addedP50, $"<= +{MaxAddedP50Micros:0}", addedP50 is { } added ? added <= MaxAddedP50Micros : null),
        ];
        if (options.Tls)
        {
            checks.AddRange(EvaluateTls(options, results));
        }

        return checks;
    }

    // The mTLS edge's targets, from the relay-mtls path against the same direct path.
    private static IEnumerable<AcceptanceCheck> EvaluateTls(RunOptions options, IReadOnlyList<PhaseResult> results)
    {
        double? TlsRatio(PhaseKind phase) =>
            ComparisonBuilder.Find(results, phase, BenchTarget.DirectName) is { Succeeded: true, MegabytesPerSecond: > 0 and { } direct }
            && ComparisonBuilder.Find(results, phase, BenchTarget.MutualTlsName) is { Succeeded: true, MegabytesPerSecond: { } relay }
                ? relay / direct
                : null;

        var bulkOne = TlsRatio(PhaseKind.Bulk);
        var bulkMany = TlsRatio(PhaseKind.BulkMany);
        var handshake = ComparisonBuilder.Find(results, PhaseKind.Connect, BenchTarget.MutualTlsName) is { Succeeded: true } connect
            ? ComparisonBuilder.CpuPerConnection(connect)
            : null;
        var name = options.TlsResume ? "relay CPU per mTLS connection (ms; --tls-resume: not all full handshakes)" : "relay CPU per full mTLS handshake (ms)";
        return
        [
            new("mTLS bulk throughput relay/direct, 1 stream", bulkOne, $">= {MinTlsBulkRatio:0.00}", AtLeast(bulkOne, MinTlsBulkRatio)),
            new($"mTLS bulk throughput relay/direct, {options.BulkStreams} streams", bulkMany, $">= {MinTlsBulkRatio:0.00}", AtLeast(bulkMany, MinTlsBulkRatio)),
            new(name, handshake, $"<= {MaxHandshakeCpuMillis:0.0}", options.TlsResume ? null : handshake is { } ms ? ms <= MaxHandshakeCpuMillis : null),
        ];
    }

    private static bool? AtLeast(double? value, double minimum) => value is { } v ? v >= minimum : null;

    private static (PhaseResult Direct, PhaseResult Relay)? Pair(IReadOnlyList<PhaseResult> results, PhaseKind phase) =>
        ComparisonBuilder.Find(results, phase, BenchTarget.DirectName) is { Succeeded: true } direct
        && ComparisonBuilder.Find(results, phase, BenchTarget.RelayName) is { Succeeded: true } relay
            ? (direct, relay)
            : null;
}
