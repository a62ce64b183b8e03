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

    /// <summary><c>--sessions</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> Sessions { get; } = Text("--sessions", "N", "1000", "Concurrent connections in the sessions phase.");

    /// <summary><c>--duration</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> Duration { get; } = Text("--duration", "TIME", "5s", "Measured time per phase and path, over all rounds (100ms..120s).");

    /// <summary><c>--rounds</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> Rounds { get; } = Text(
        "--rounds", "N", "3", "Split each phase into N rounds alternating direct and relay (--duration, --bulk-bytes, --connect-count are totals).");

    /// <summary><c>--warmup</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> Warmup { get; } = Text("--warmup", "TIME", "500ms", "Unmeasured time before each ping-pong, bulk and connect round (bulk: the same streams carry data for this long, at most --bulk-bytes).");

    /// <summary><c>--message-bytes</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> MessageBytes { get; } = Text("--message-bytes", "BYTES", "64", "Bytes per ping-pong message.");

    /// <summary><c>--bulk-bytes</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> BulkBytes { get; } = Text("--bulk-bytes", "BYTES", "1GiB", "Bytes each bulk stream sends, over all rounds (the default keeps each measured transfer well above 100 ms on a 3 GB/s path).");

    /// <summary><c>--bulk-streams</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> BulkStreams { get; } = Text("--bulk-streams", "M", "8", "Streams in the many-stream bulk phase.");

    /// <summary><c>--connect-count</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> ConnectCount { get; } = Text("--connect-count", "N", "20000", "Most connections the connect phase measures per path, over all rounds.");

    /// <summary><c>--connect-concurrency</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> ConnectConcurrency { get; } = Text("--connect-concurrency", "N", "4", "Connect loops running at once.");

    /// <summary><c>--connect-timeout</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> ConnectTimeout { get; } = Text("--connect-timeout", "TIME", "5s", "Longest wait for one TCP connect.");

    /// <summary><c>--timeout</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> PhaseTimeout { get; } = Text("--timeout", "TIME", "60s", "Hard limit on one phase on one path.");

    /// <summary><c>--out</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> Out { get; } = Text("--out", "DIR", "artifacts/bench", "Directory for report.json and latency-cdf.svg.");

    /// <summary><c>--phases</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string[]> Phases { get; } = new("--phases")
    {
        Description = "Phases to run (comma-separated or repeated): latency, sessions, bulk, bulk-many, connect. Defaults to all.",
        HelpName = "LIST",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--echo-backend</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> EchoBackend { get; } = Text("--echo-backend", "IP:PORT", "127.0.0.1:0", "Bind address of the echo backend (pin it for --relay-echo).");

    /// <summary><c>--sink-backend</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> SinkBackend { get; } = Text("--sink-backend", "IP:PORT", "127.0.0.1:0", "Bind address of the sink backend (pin it for --relay-sink).");

    /// <summary><c>--relay-exe</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string?> RelayExe { get; } = new("--relay-exe")
    {
        Description = "Start this relay (fastrelay.dll or the apphost) with --listen/--route for the two backends.",
        HelpName = "PATH",
    };

    /// <summary><c>--relay-arg</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string[]> RelayArgs { get; } = new("--relay-arg")
    {
        Description = "Extra argument for the started relay (repeatable; use --relay-arg=--flag for values starting with -).",
        HelpName = "ARG",
    };

    /// <summary><c>--relay-env</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string[]> RelayEnv { get; } = new("--relay-env")
    {
        Description = "Environment variable for the started relay, e.g. DOTNET_gcServer=1 (repeatable).",
        HelpName = "NAME=VALUE",
    };

    /// <summary><c>--relay-echo</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string?> RelayEcho { get; } = new("--relay-echo")
    {
        Description = "Listener of an already running relay that routes to the echo backend (see --echo-backend).",
        HelpName = "IP:PORT",
    };

    /// <summary><c>--relay-sink</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string?> RelaySink { get; } = new("--relay-sink")
    {
        Description = "Listener of an already running relay that routes to the sink backend (see --sink-backend).",
        HelpName = "IP:PORT",
    };

    /// <summary><c>--child-backends</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> ChildBackends { get; } = new("--child-backends")
    {
        Description = "Run the echo and sink backends as child processes (their CPU is then reported apart from the client's).",
    };

    /// <summary><c>--direct-only</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> DirectOnly { get; } = new("--direct-only")
    {
        Description = "Measure only the direct path (no relay).",
    };

    /// <summary><c>--tls</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> Tls { get; } = new("--tls")
    {
        Description = "Also measure a mutual-TLS relay (a second relay process, throwaway certificates) on the bulk, bulk-many and connect phases: path relay-mtls, full handshakes, relay CPU per handshake.",
    };

    /// <summary><c>--tunnel</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> Tunnel { get; } = new("--tunnel")
    {
        Description = "Also measure the tunnel: an edge whose routes are tunnel: targets through a fastrelay gateway child process (throwaway keys), on every phase: path relay-tunnel; each phase notes the tunnel handshakes it cost (0: every session rode the warm pool).",
    };

    /// <summary><c>--tunnel-keepalive-requests</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> TunnelKeepaliveRequests { get; } = Text("--tunnel-keepalive-requests", "N", "100",
        "With --tunnel: the tunnel edge's --keepalive-requests (streams per tunnel connection before it is recycled with a new handshake; 0 = never).");

    /// <summary><c>--tls-resume</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> TlsResume { get; } = new("--tls-resume")
    {
        Description = "With --tls: let the client resume TLS sessions (returning clients) instead of a full handshake per connection.",
    };

    /// <summary><c>--tls-warmup</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> TlsWarmup { get; } = Text("--tls-warmup", "TIME", "0s",
        "With --tls: the connect phase's first round on the mTLS (and openssl-s_server) path warms up this long (or until the round's --connect-count share of connections, if that comes first), so the relay's CPU per handshake is measured after the JIT has compiled the handshake path (about 8 s of handshakes here), not during it. 0s: --warmup.");

    /// <summary><c>--openssl-reference</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<bool> OpenSslReference { get; } = new("--openssl-reference")
    {
        Description = "With --tls: also run the connect phase against OpenSSL's own server (openssl s_server -rev, the same certificates and client, no tickets): path openssl-s_server, its CPU per full mTLS handshake beside the relay's, the reference the handshake target is quoted against.",
    };

    /// <summary><c>--tls-key-type</c>; read by <see cref="RunOptionsBinder"/>.</summary>
    public Option<string> TlsKeyType { get; } = Text("--tls-key-type", "ecdsa|rsa", "ecdsa", "The mTLS relay's server key: ECDSA P-256 or RSA 2048.");

    private IEnumerable<Option> AllOptions() =>
    [
        Tls, TlsKeyType, TlsResume, TlsWarmup, OpenSslReference, Tunnel, TunnelKeepaliveRequests,
        Sessions, Duration, Rounds, Warmup, MessageBytes, BulkBytes, BulkStreams, ConnectCount, ConnectConcurrency,
        ConnectTimeout, PhaseTimeout, Out, Phases, EchoBackend, SinkBackend, ChildBackends, RelayExe, RelayArgs, RelayEnv, RelayEcho,
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
