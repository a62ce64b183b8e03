using System.Diagnostics;

namespace FastRelay.Bench.Measurement;

/// <summary>What happened in a measured window: its length, allocations and CPU use.</summary>
internal readonly record struct WindowTotals(
    TimeSpan Elapsed, long AllocatedBytes, double HarnessCpuPercent, double? RelayCpuPercent, double? BackendCpuPercent);

/// <summary>
/// Brackets the measured part of a phase, so warm-up, connection setup and teardown stay out of the numbers.
/// </summary>
/// <remarks>Allocation counts cover this whole process: the client, and the backends when they run in-process.</remarks>
internal sealed class MeasuredWindow
{
    private readonly CpuSampler _cpu;
    private readonly CpuSample _start;
    private readonly long _startAllocated;

    private MeasuredWindow(CpuSampler cpu)
    {
        _cpu = cpu;
        _startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        _start = cpu.Take();
    }

    /// <summary>Starts a window now.</summary>
    public static MeasuredWindow Begin(CpuSampler cpu) => new(cpu);

    /// <summary>Ends the window now and returns its totals.</summary>
    public WindowTotals End()
    {
        var end = _cpu.Take();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _startAllocated;
        var (harness, relay, backends) = CpuSampler.PercentBetween(_start, end);
        return new WindowTotals(Stopwatch.GetElapsedTime(_start.Timestamp, end.Timestamp), allocated, harness, relay, backends);
    }
}
