using System.CommandLine;
using FastRelay.Bench.Running;

namespace FastRelay.Bench.Cli;

/// <summary>
/// <c>fastrelay-bench run</c>: the option definitions and the action. Numeric options are taken as text and
/// parsed by <see cref="RunOptionsBinder"/>, so a bad <c>--sessions</c> and a bad <c>--duration</c> are reported
/// together instead of one per attempt (house style H5.1).
/// </summary>
internal sealed class RunCommand
{
    public RunCommand()
    {
        Command = new Command("run", "Measure the direct path and the relay path with the same settings and compare them.");
        foreach (var option in AllOptions())
        {
            Command.Options.Add(option);
        }

        Command.SetAction(ExecuteAsync);
    }

    /// <summary>The System.CommandLine command, added to the root by <see cref="BenchCommandLine"/>.</summary>
    public Command Command { get; }

    public Option<string> Sessions { get; } = Text("--sessions", "N", "1000", "Concurrent connections in the sessions phase.");

    public Option<string> Duration { get; } = Text("--duration", "TIME", "5s", "Measured time per phase and path (100ms..120s).");

    public Option<string> Warmup { get; } = Text("--warmup", "TIME", "500ms", "Unmeasured time before each ping-pong and connect phase.");

    public Option<string> MessageBytes { get; } = Text("--message-bytes", "BYTES", "64", "Bytes per ping-pong message.");

    public Option<string> BulkBytes { get; } = Text("--bulk-bytes", "BYTES", "256MiB", "Bytes each bulk stream sends.");

    public Option<string> BulkStreams { get; } = Text("--bulk-streams", "M", "8", "Streams in the many-stream bulk phase.");

    public Option<string> ConnectCount { get; } = Text("--connect-count", "N", "20000", "Most connections the connect phase opens per path.");

    public Option<string> ConnectConcurrency { get; } = Text("--connect-concurrency", "N", "4", "Connect loops running at once.");

    public Option<string> ConnectTimeout { get; } = Text("--connect-timeout", "TIME", "5s", "Longest wait for one TCP connect.");

    public Option<string> PhaseTimeout { get; } = Text("--timeout", "TIME", "60s", "Hard limit on one phase on one path.");

    public Option<string> Out { get; } = Text("--out", "DIR", "artifacts/bench", "Directory for report.json and latency-cdf.svg.");

    public Option<string[]> Phases { get; } = new("--phases")
    {
        Description = "Phases to run (comma-separated or repeated): latency, sessions, bulk, bulk-many, connect. Defaults to all.",
        HelpName = "LIST",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> EchoBackend { get; } = Text("--echo-backend", "IP:PORT", "127.0.0.1:0", "Bind address of the in-process echo backend.");

    public Option<string> SinkBackend { get; } = Text("--sink-backend", "IP:PORT", "127.0.0.1:0", "Bind address of the in-process sink backend.");

    public Option<string?> RelayExe { get; } = new("--relay-exe")
    {
        Description = "Start this relay (fastrelay.dll or the apphost) with --listen/--route for the two backends.",
        HelpName = "PATH",
    };

    public Option<string[]> RelayArgs { get; } = new("--relay-arg")
    {
        Description = "Extra argument for the started relay (repeatable; use --relay-arg=--flag for values starting with -).",
        HelpName = "ARG",
    };

    public Option<string?> RelayEcho { get; } = new("--relay-echo")
    {
        Description = "Listener of an already running relay that routes to the echo backend (see --echo-backend).",
        HelpName = "IP:PORT",
    };

    public Option<string?> RelaySink { get; } = new("--relay-sink")
    {
        Description = "Listener of an already running relay that routes to the sink backend (see --sink-backend).",
        HelpName = "IP:PORT",
    };

    public Option<bool> DirectOnly { get; } = new("--direct-only")
    {
        Description = "Measure only the direct path (no relay).",
    };

    private IEnumerable<Option> AllOptions() =>
    [
        Sessions, Duration, Warmup, MessageBytes, BulkBytes, BulkStreams, ConnectCount, ConnectConcurrency,
        ConnectTimeout, PhaseTimeout, Out, Phases, EchoBackend, SinkBackend, RelayExe, RelayArgs, RelayEcho,
        RelaySink, DirectOnly,
    ];

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var options = RunOptionsBinder.Bind(this, parseResult, errors);
        if (options is null)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        try
        {
            return await new BenchRunner(options, Console.Out, Console.Error).RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM: the runner has already stopped the loops and killed the relay it started.
            await Console.Error.WriteLineAsync("interrupted: no report written");
            return ExitCodes.PhaseFailed;
        }
    }

    private static Option<string> Text(string name, string helpName, string defaultValue, string description) =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => defaultValue,
        };
}
