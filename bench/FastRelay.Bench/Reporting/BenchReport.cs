using FastRelay.Bench.Cli;
using FastRelay.Bench.Phases;

namespace FastRelay.Bench.Reporting;

/// <summary>The machine a run was taken on; only numbers from one machine and one run compare.</summary>
internal sealed record MachineInfo(int ProcessorCount, string OperatingSystem, string Runtime)
{
    /// <summary>Describes the current machine.</summary>
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
}

/// <summary>The settings of a run as written to report.json (endpoints as text, times in seconds).</summary>
internal sealed record ReportSettings(
    int Sessions, double DurationSeconds, int Rounds, double WarmupSeconds, int MessageBytes, long BulkBytes, int BulkStreams,
    int ConnectCount, int ConnectConcurrency, double ConnectTimeoutSeconds, double PhaseTimeoutSeconds,
    IReadOnlyList<string> Phases, string RelayMode, string? Relay, string EchoBackend, string SinkBackend,
    bool ClientInlineCompletions, bool ChildBackends, double TlsWarmupSeconds = 0)
{
    /// <summary>Copies <paramref name="options"/>; <paramref name="relay"/> describes the relay (command or address).</summary>
    public static ReportSettings From(RunOptions options, string? relay) => new(
        options.Sessions, options.Duration.TotalSeconds, options.Rounds, options.Warmup.TotalSeconds, options.MessageBytes,
        options.BulkBytes, options.BulkStreams, options.ConnectCount, options.ConnectConcurrency,
        options.ConnectTimeout.TotalSeconds, options.PhaseTimeout.TotalSeconds,
        [.. options.Phases.Select(p => p.ToName())], options.RelayMode.ToString(), relay,
        options.EchoBackend.ToString(), options.SinkBackend.ToString(), Client.ClientRuntime.InlineCompletions,
        options.ChildBackends, options.TlsWarmup.TotalSeconds);
}

/// <summary>
/// report.json: everything a run measured, so runs can be compared and charted later. The schema is additive:
/// new fields may appear, existing ones keep their name and unit.
/// </summary>
internal sealed record BenchReport
{
    /// <summary>Always <c>fastrelay-bench</c>.</summary>
    public string Tool { get; init; } = "fastrelay-bench";

    public required string Version { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required MachineInfo Machine { get; init; }

    public required ReportSettings Settings { get; init; }

    /// <summary>One entry per phase and path, in run order.</summary>
    public required IReadOnlyList<PhaseResult> Results { get; init; }

    /// <summary>The rows of the printed table.</summary>
    public required IReadOnlyList<ComparisonRow> Comparisons { get; init; }

    /// <summary>The acceptance numbers.</summary>
    public required IReadOnlyList<AcceptanceCheck> Acceptance { get; init; }

    /// <summary>Every failure, one line each; empty when the run succeeded.</summary>
    public required IReadOnlyList<string> Failures { get; init; }
}
