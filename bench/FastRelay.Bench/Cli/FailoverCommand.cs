using System.CommandLine;
using FastRelay.Bench.Failover;

namespace FastRelay.Bench.Cli;

/// <summary>
/// <c>fastrelay-bench failover --relay-exe PATH [--sessions 1000] [--new-rate 200] [--kill-after 3s] [--run-after 5s]
/// [--kill-signal KILL|STOP] [--ping-interval 100ms] [--json FILE]</c>: two gateways, one edge, established and new
/// sessions; one gateway killed mid-run; prints how fast new sessions succeed again and how fast the established
/// sessions on the dead gateway are reset (see <see cref="FailoverRun"/>).
/// </summary>
internal sealed class FailoverCommand
{
    public FailoverCommand()
    {
        Command = new Command("failover", "Kill one of two gateways mid-run and measure the failover (time to the first success, last failure, resets).");
        foreach (var option in new Option[] { RelayExe, Sessions, NewRate, KillAfter, RunAfter, KillSignalOption, PingInterval, PingEvery, Target, Json, RelayArgs })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(ExecuteAsync);
    }

    /// <summary>The System.CommandLine command, added to the root by <see cref="BenchCommandLine"/>.</summary>
    public Command Command { get; }

    private Option<string> RelayExe { get; } = new("--relay-exe") { Description = "The fastrelay executable or fastrelay.dll (edge and both gateways).", HelpName = "PATH", Required = true };

    private Option<int> Sessions { get; } = new("--sessions") { Description = "Established sessions held open through the run, 1..10000.", HelpName = "N", DefaultValueFactory = _ => 1000 };

    private Option<int> NewRate { get; } = new("--new-rate") { Description = "New sessions per second (connect, 16 bytes there and back, close), 1..2000.", HelpName = "N", DefaultValueFactory = _ => 200 };

    private Option<string> KillAfter { get; } = new("--kill-after") { Description = "Load time before the first gateway is killed, 1s..60s.", HelpName = "DURATION", DefaultValueFactory = _ => "3s" };

    private Option<string> RunAfter { get; } = new("--run-after") { Description = "Load time after the kill, 1s..60s.", HelpName = "DURATION", DefaultValueFactory = _ => "5s" };

    private Option<string> KillSignalOption { get; } = new("--kill-signal") { Description = "KILL (the kernel closes its sockets) or STOP (it hangs: only missed pings tell).", HelpName = "KILL|STOP", DefaultValueFactory = _ => "KILL" };

    private Option<string> PingInterval { get; } = new("--ping-interval") { Description = "The tunnel's --ping-interval on all three nodes, 100ms..60s (dead after 3 intervals).", HelpName = "DURATION", DefaultValueFactory = _ => "100ms" };

    private Option<string> PingEvery { get; } = new("--ping-every") { Description = "How often each established session sends its 16 bytes, 10ms..10s.", HelpName = "DURATION", DefaultValueFactory = _ => "250ms" };

    private Option<string> Target { get; } = new("--target") { Description = "The failover target: PASS when every new session succeeds within it of the kill and none hangs.", HelpName = "DURATION", DefaultValueFactory = _ => "1s" };

    private Option<string?> Json { get; } = new("--json") { Description = "Also write the report as JSON to FILE.", HelpName = "FILE" };

    private Option<string[]> RelayArgs { get; } = new("--relay-arg") { Description = "Extra argument for the edge (repeatable), e.g. --relay-arg=--retries --relay-arg=0.", HelpName = "ARG", AllowMultipleArgumentsPerToken = false };

    /// <summary>
    /// The options, or null with every problem in <paramref name="errors"/>; also called with the parser's own errors
    /// (a value that is not a number), so that one attempt lists them all.
    /// </summary>
    public FailoverOptions? Bind(ParseResult parse, List<string> errors)
    {
        var before = errors.Count;
        var relayExe = parse.ValueOrDefault(RelayExe) ?? "";
        if (relayExe.Length > 0 && !File.Exists(relayExe))
        {
            errors.Add($"--relay-exe: '{relayExe}' not found; build it first (dotnet build -c Release)");
        }

        var sessions = parse.Range(Sessions, 1, 10_000, errors);
        var rate = parse.Range(NewRate, 1, 2000, errors);
        var killAfter = Duration(parse.ValueOrDefault(KillAfter), "--kill-after", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), errors);
        var runAfter = Duration(parse.ValueOrDefault(RunAfter), "--run-after", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), errors);
        var ping = Duration(parse.ValueOrDefault(PingInterval), "--ping-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), errors);
        var every = Duration(parse.ValueOrDefault(PingEvery), "--ping-every", TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), errors);
        var target = Duration(parse.ValueOrDefault(Target), "--target", TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(60), errors);
        var signalText = parse.ValueOrDefault(KillSignalOption);
        var signal = signalText?.ToUpperInvariant() switch
        {
            "KILL" or "SIGKILL" => KillSignal.Kill,
            "STOP" or "SIGSTOP" => KillSignal.Stop,
            _ => (KillSignal?)null,
        };
        if (signal is null)
        {
            errors.Add($"--kill-signal: expected KILL or STOP (got '{signalText}')");
        }

        var json = parse.ValueOrDefault(Json);
        if (json is not null)
        {
            OutputPath.CheckFile("--json", json, errors);
        }

        if (errors.Count > before || parse.Errors.Count > 0)
        {
            return null;
        }

        return new FailoverOptions(relayExe, sessions, rate, killAfter, runAfter, signal!.Value, ping, every, target, json, parse.GetValue(RelayArgs) ?? []);
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (Bind(parse, errors) is not { } options)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        return await FailoverRun.ExecuteAsync(options, Console.Out, cancellationToken);
    }


    private static TimeSpan Duration(string? text, string name, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (!UnitParser.TryParseDuration(text, out var value) || value < min || value > max)
        {
            errors.Add($"{name}: expected a duration from {UnitParser.FormatDuration(min)} to {UnitParser.FormatDuration(max)}, e.g. 250ms or 3s (got '{text}')");
        }

        return value;
    }
}
