using FastRelay.Bench.Cli;
using FastRelay.Bench.Measurement;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Phases;

/// <summary>What every phase gets: the settings, the path it measures, and the CPU counters.</summary>
internal sealed record PhaseContext(RunOptions Options, BenchTarget Target, CpuSampler Cpu)
{
    /// <summary>Extra time after the measured window for sessions to close before their sockets are aborted.</summary>
    public TimeSpan CloseGrace =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (Options.PhaseTimeout - Options.Warmup - Options.Duration).Ticks));
}
