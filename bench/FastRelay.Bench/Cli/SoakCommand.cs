using System.CommandLine;
using FastRelay.Bench.Soak;

namespace FastRelay.Bench.Cli;

/// <summary>
/// <c>fastrelay-bench soak --relay-exe PATH [--duration 10m]</c>: the full path (mutual-TLS edge, tunnel, gateway,
/// echo backend, SQLite audit) under steady load with client resets and one gateway restart, for a bounded time;
/// prints the memory, descriptor and thread curve of both nodes and a pass/fail (see <see cref="SoakRun"/>).
/// </summary>
internal sealed class SoakCommand
{
    public SoakCommand()
    {
        Command = new Command("soak", "Soak the full path (mTLS edge -> tunnel -> gateway -> echo backend, SQLite audit) for a bounded time: byte-exact echoes, "
            + "client resets, one gateway restart; prints both nodes' RSS, descriptors and threads over time and checks growth and the audit log.");
        foreach (var option in new Option[] { RelayExe, Duration, Concurrency, Pause, MaxPayload, ResetPercent, SampleInterval, NoRestart, Plain, Json, Seed })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(ExecuteAsync);
    }

    /// <summary>The System.CommandLine command, added to the root by <see cref="BenchCommandLine"/>.</summary>
    public Command Command { get; }

    private Option<string> RelayExe { get; } = new("--relay-exe") { Description = "The fastrelay executable or fastrelay.dll (edge and gateway).", HelpName = "PATH", Required = true };

    private Option<string> Duration { get; } = new("--duration") { Description = "How long the load runs (30s..24h).", HelpName = "DURATION", DefaultValueFactory = _ => "10m" };

    private Option<int> Concurrency { get; } = new("--concurrency") { Description = "Sessions in flight at once (1..1000).", HelpName = "N", DefaultValueFactory = _ => 16 };

    private Option<string> Pause { get; } = new("--pause") { Description = "Each worker's pause between sessions (0..10s).", HelpName = "DURATION", DefaultValueFactory = _ => "20ms" };

    private Option<string> MaxPayload { get; } = new("--max-payload") { Description = "Largest payload a session echoes; sizes are log-uniform from 1 byte (1..16MiB).", HelpName = "SIZE", DefaultValueFactory = _ => "256KiB" };

    private Option<int> ResetPercent { get; } = new("--reset-percent") { Description = "Sessions the client aborts half-way with a TCP RST (0..100).", HelpName = "P", DefaultValueFactory = _ => 10 };

    private Option<string> SampleInterval { get; } = new("--sample-interval") { Description = "How often both nodes are sampled (1s..5m).", HelpName = "DURATION", DefaultValueFactory = _ => "15s" };

    private Option<bool> NoRestart { get; } = new("--no-gateway-restart") { Description = "Do not kill and restart the gateway half-way." };

    private Option<bool> Plain { get; } = new("--plain") { Description = "Soak the plain TCP path instead: an edge without TLS whose route goes straight to the echo backend (the epoll data path by default), no gateway and so no restart; the same checks (byte-exact echoes, resets, audit, growth)." };

    private Option<string> Json { get; } = new("--json") { Description = "Where the JSON report is written.", HelpName = "PATH", DefaultValueFactory = _ => "fastrelay-soak.json" };

    private Option<int> Seed { get; } = new("--seed") { Description = "Seed of the payload sizes, contents and resets.", HelpName = "N", DefaultValueFactory = _ => 1 };

    /// <summary>
    /// The options, or null with every problem in <paramref name="errors"/>; also called with the parser's own errors
    /// (a value that is not a number), so that one attempt lists them all.
    /// </summary>
    public SoakOptions? Bind(ParseResult parse, List<string> errors)
    {
        var before = errors.Count;
        var relayExe = parse.ValueOrDefault(RelayExe) ?? "";
        if (relayExe.Length > 0 && !File.Exists(relayExe))
        {
            errors.Add($"--relay-exe: '{relayExe}' not found; build it first (dotnet build -c Release)");
        }

        var duration = ParseDuration(parse.ValueOrDefault(Duration), "--duration", TimeSpan.FromSeconds(30), TimeSpan.FromHours(24), errors);
        var pause = ParseDuration(parse.ValueOrDefault(Pause), "--pause", TimeSpan.Zero, TimeSpan.FromSeconds(10), errors);
        var sample = ParseDuration(parse.ValueOrDefault(SampleInterval), "--sample-interval", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), errors);
        var concurrency = parse.Range(Concurrency, 1, 1000, errors);
        var resets = parse.Range(ResetPercent, 0, 100, errors);

        if (!UnitParser.TryParseBytes(parse.ValueOrDefault(MaxPayload), out var maxPayload) || maxPayload is < 1 or > 16 << 20)
        {
            errors.Add($"--max-payload: expected a size 1..16MiB such as 256KiB (got '{parse.ValueOrDefault(MaxPayload)}')");
        }

        var json = parse.ValueOrDefault(Json) ?? "";
        OutputPath.CheckFile("--json", json, errors);
        if (errors.Count > before || parse.Errors.Count > 0)
        {
            return null;
        }

        var plain = parse.GetValue(Plain);
        return new SoakOptions(relayExe, duration, concurrency, pause, (int)maxPayload, resets, sample, !plain && !parse.GetValue(NoRestart),
            json, parse.GetValue(Seed), plain);
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (Bind(parse, errors) is not { } options)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        return await SoakRun.ExecuteAsync(options, Console.Out, cancellationToken);
    }

    private static TimeSpan ParseDuration(string? text, string flag, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (UnitParser.TryParseDuration(text, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add($"{flag}: expected a duration {UnitParser.FormatDuration(min)}..{UnitParser.FormatDuration(max)} such as 10m (got '{text}')");
        return min;
    }
}
