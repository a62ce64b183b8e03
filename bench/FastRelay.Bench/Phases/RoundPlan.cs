using FastRelay.Bench.Cli;

namespace FastRelay.Bench.Phases;

/// <summary>
/// Splits a phase into interleaved rounds (direct, relay, direct, relay, ...) and adds the rounds back up.
/// </summary>
/// <remarks>
/// Why: the harness shares its 2 cores with whatever else runs. On the dev machine, a one-connection direct p50
/// was 17 µs while the machine was otherwise idle and 56 µs while a build ran on the other core; one
/// direct-then-relay pair taken across such a change showed the relay 28 µs "faster" than no relay.
/// Alternating short rounds gives both paths the same background, which a single pair cannot.
/// The totals (<c>--duration</c>, <c>--bulk-bytes</c>, <c>--connect-count</c>) are split evenly; warm-up and
/// connection setup are repeated in every round and never measured.
/// </remarks>
internal static class RoundPlan
{
    /// <summary>The settings of one round: the time, byte and count totals divided by the round count.</summary>
    public static RunOptions ForOneRound(RunOptions options) => options with
    {
        Duration = options.Duration / options.Rounds,
        BulkBytes = Math.Max(1, options.BulkBytes / options.Rounds),
        ConnectCount = Math.Max(1, options.ConnectCount / options.Rounds),
    };

    /// <summary>
    /// Adds up the rounds of one phase on one path: counts, bytes, time and allocations are summed, CPU is
    /// weighted by time, the latency is the recorder's (shared by all rounds), and the first error wins.
    /// </summary>
    public static PhaseResult Combine(IReadOnlyList<PhaseResult> rounds)
    {
        var elapsed = rounds.Sum(r => r.ElapsedSeconds);
        double? Weighted(Func<PhaseResult, double?> cpu) =>
            elapsed > 0 && rounds.All(r => cpu(r) is not null) ? rounds.Sum(r => cpu(r)!.Value * r.ElapsedSeconds) / elapsed : null;

        var last = rounds[^1];
        return last with
        {
            Error = rounds.Select(r => r.Error).FirstOrDefault(e => e is not null),
            ElapsedSeconds = elapsed,
            Operations = rounds.Sum(r => r.Operations),
            Bytes = rounds.Sum(r => r.Bytes),
            AllocatedBytes = rounds.Sum(r => r.AllocatedBytes),
            HarnessCpuPercent = Weighted(r => r.HarnessCpuPercent),
            RelayCpuPercent = Weighted(r => r.RelayCpuPercent),
            BackendCpuPercent = Weighted(r => r.BackendCpuPercent),
            Note = rounds[0].Note,
            Rounds = rounds.Count,
        };
    }
}
