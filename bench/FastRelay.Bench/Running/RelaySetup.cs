using FastRelay.Bench.Cli;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Running;

/// <summary>Resolves the relay path for a run: none, a relay already running, or one we start.</summary>
internal static class RelaySetup
{
    /// <summary>
    /// Returns the relay target (null with <c>--direct-only</c>), the process we started (if any), a description
    /// for the report, or an error when a started relay did not come up.
    /// </summary>
    public static async Task<(BenchTarget? Relay, RelayProcess? Process, string? Description, string? Error)> StartAsync(
        RunOptions options, BenchTarget direct, CancellationToken cancellationToken)
    {
        switch (options.RelayMode)
        {
            case RelayMode.Existing:
                var existing = new BenchTarget(BenchTarget.RelayName, options.RelayEcho, options.RelaySink);
                return (existing, null, $"already running: echo via {options.RelayEcho}, sink via {options.RelaySink}", null);
            case RelayMode.Spawn:
                var (process, error) = await RelayProcess.StartAsync(options, direct.Echo!, direct.Sink!, cancellationToken);
                return process is null
                    ? (null, null, null, $"relay did not start: {error}")
                    : (process.Target, process, Describe(options, process.Child.CommandLine), null);
            default:
                return (null, null, null, null);
        }
    }

    private static string Describe(RunOptions options, string commandLine) =>
        string.Concat(options.RelayEnvironment.Select(e => $"{e.Key}={e.Value} ")) + commandLine;
}
