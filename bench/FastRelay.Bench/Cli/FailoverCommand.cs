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

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var relayExe = parse.GetValue(RelayExe)!;
        if (!File.Exists(relayExe))
        {
            errors.Add($"--relay-exe: '{relayExe}' not found; build it first (dotnet build -c Release)");
        }

        var sessions = Range(parse.GetValue(Sessions), "--sessions", 1, 10_000, errors);
        var rate = Range(parse.GetValue(NewRate), "--new-rate", 1, 2000, errors);
        var killAfter = Duration(parse.GetValue(KillAfter), "--kill-after", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), errors);
        var runAfter = Duration(parse.GetValue(RunAfter), "--run-after", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), errors);
        var ping = Duration(parse.GetValue(PingInterval), "--ping-interval", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), errors);
        var every = Duration(parse.GetValue(PingEvery), "--ping-every", TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), errors);
        var target = Duration(parse.GetValue(Target), "--target", TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(60), errors);
        var signalText = parse.GetValue(KillSignalOption);
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

        if (parse.GetValue(Json) is { } json)
        {
            OutputPath.CheckFile("--json", json, errors);
        }

        if (errors.Count > 0)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        var options = new FailoverOptions(relayExe, sessions, rate, killAfter, runAfter, signal!.Value, ping, every, target, parse.GetValue(Json), parse.GetValue(RelayArgs) ?? []);
        return await FailoverRun.ExecuteAsync(options, Console.Out, cancellationToken);
    }

    private static int Range(int value, string name, int min, int max, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name}: expected {min}..{max} (got {value})");
        }

        return value;
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
