using FastRelay.Bench.Cli;
using FastRelay.Bench.Measurement;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Phases;

/// <summary>
/// What every phase gets: the settings of this round (see <see cref="RoundPlan"/>), the path it measures, the CPU
/// counters, and the latency recorder that collects this phase and path over all rounds.
/// </summary>
internal sealed record PhaseContext(RunOptions Options, BenchTarget Target, CpuSampler Cpu, LatencyRecorder Recorder)
{
    /// <summary>Extra time after the measured window for sessions to close before their sockets are aborted.</summary>
    public TimeSpan CloseGrace =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (Options.PhaseTimeout - Options.Warmup - Options.Duration).Ticks));
}
