using FastRelay.Bench.Measurement;

namespace FastRelay.Bench.Phases;

/// <summary>
/// The outcome of one phase on one path. A failed phase is a value with <see cref="Error"/> set, never an
/// exception (house style H5.3): the run goes on with the next phase and exits 1 at the end.
/// </summary>
internal sealed record PhaseResult
{
    /// <summary>Which phase.</summary>
    public required PhaseKind Phase { get; init; }

    /// <summary><c>direct</c> or <c>relay</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Why the phase failed (byte mismatch, reset, timeout), or null when it succeeded.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the phase succeeded.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Length of the measured window (warm-up and connection setup excluded).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Exchanges (ping-pong), connections (connect) or streams (bulk) completed in the window.</summary>
    public long Operations { get; init; }

    /// <summary>Payload bytes that crossed the path one way in the window (bulk phases).</summary>
    public long Bytes { get; init; }

    /// <summary>Operations per second over the window.</summary>
    public double? OperationsPerSecond => ElapsedSeconds > 0 && Operations > 0 ? Operations / ElapsedSeconds : null;

    /// <summary>Throughput in MB/s (10^6 bytes) over the window; bulk phases only.</summary>
    public double? MegabytesPerSecond => ElapsedSeconds > 0 && Bytes > 0 ? Bytes / 1e6 / ElapsedSeconds : null;

    /// <summary>Round-trip times (ping-pong) or connect+exchange+close times (connect).</summary>
    public LatencySummary? Latency { get; init; }

    /// <summary>Bytes this process (the client, and in-process backends if any) allocated in the window.</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>Bytes allocated per operation.</summary>
    public double? AllocatedBytesPerOperation => Operations > 0 ? (double)AllocatedBytes / Operations : null;

    /// <summary>How many interleaved rounds this result adds up (see <see cref="RoundPlan"/>).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>CPU used by this process in the window, in percent of one core.</summary>
    public double? HarnessCpuPercent { get; init; }

    /// <summary>CPU used by the spawned relay in the window, in percent of one core.</summary>
    public double? RelayCpuPercent { get; init; }

    /// <summary>CPU used by the backend child processes together in the window, in percent of one core.</summary>
    public double? BackendCpuPercent { get; init; }

    /// <summary>Context worth keeping, such as how long opening the sessions took.</summary>
    public string? Note { get; init; }

    /// <summary>Copies the window's measurements onto the result.</summary>
    public PhaseResult WithWindow(WindowTotals window) => this with
    {
        ElapsedSeconds = window.Elapsed.TotalSeconds,
        AllocatedBytes = window.AllocatedBytes,
        HarnessCpuPercent = window.HarnessCpuPercent,
        RelayCpuPercent = window.RelayCpuPercent,
        BackendCpuPercent = window.BackendCpuPercent,
    };
}
