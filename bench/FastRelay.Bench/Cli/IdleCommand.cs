using System.CommandLine;
using FastRelay.Bench.Idle;

namespace FastRelay.Bench.Cli;

/// <summary>
/// <c>fastrelay-bench idle --relay-exe PATH [--connections 10000] [--tls] [--tunnel]</c>: what an idle connection costs the
/// relay. Opens that many connections through a real <c>fastrelay edge</c> process (each does one echo round
/// trip, then stays open and silent) and reports the relay's resident memory and GC heap per connection
/// (see <see cref="IdleRun"/>).
/// </summary>
internal sealed class IdleCommand
{
    public IdleCommand()
    {
        Command = new Command("idle", "Measure the relay's memory per idle connection (plain, or mutual TLS with --tls).");
        Command.Options.Add(RelayExe);
        Command.Options.Add(Connections);
        Command.Options.Add(Tls);
        Command.Options.Add(Settle);
        Command.Options.Add(RelayArgs);
        Command.Options.Add(TunnelOption);
        Command.Options.Add(GatewayArgs);
        Command.SetAction(ExecuteAsync);
    }

    /// <summary>The System.CommandLine command, added to the root by <see cref="BenchCommandLine"/>.</summary>
    public Command Command { get; }

    private Option<string> RelayExe { get; } = new("--relay-exe")
    {
        Description = "The fastrelay executable or fastrelay.dll to measure.",
        HelpName = "PATH",
        Required = true,
    };

    private Option<int> Connections { get; } = new("--connections")
    {
        Description = "Idle connections to open (1..50000). The relay needs two descriptors each (one with --tunnel; plus ~500): the hard open-file limit must allow it.",
        HelpName = "N",
        DefaultValueFactory = _ => 10_000,
    };

    private Option<bool> Tls { get; } = new("--tls")
    {
        Description = "Mutual TLS: the relay gets throwaway certificates (--tls-cert/--tls-key/--client-ca) and each connection does a full TLS 1.3 handshake with a client certificate.",
    };

    private Option<int> Settle { get; } = new("--settle-seconds")
    {
        Description = "Seconds to wait after the last connection opened before measuring (1..120).",
        HelpName = "S",
        DefaultValueFactory = _ => 5,
    };

    private Option<string[]> RelayArgs { get; } = new("--relay-arg")
    {
        Description = "Extra argument for the relay (repeatable), e.g. --relay-arg=--buffer-size --relay-arg=16KiB.",
        HelpName = "ARG",
        AllowMultipleArgumentsPerToken = false,
    };

    private Option<bool> TunnelOption { get; } = new("--tunnel")
    {
        Description = "Route through a fastrelay gateway child process (throwaway keys): each idle connection also holds a tunnel stream; "
            + "the edge's and the gateway's memory are reported separately. Needs about N descriptors in each of this harness, the edge, the gateway and the backend.",
    };

    private Option<string[]> GatewayArgs { get; } = new("--gateway-arg")
    {
        Description = "With --tunnel: extra argument for the gateway (repeatable), e.g. --gateway-arg=--tunnel-max-streams --gateway-arg=1024.",
        HelpName = "ARG",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// The options, or null with every problem in <paramref name="errors"/>; also called with the parser's own errors
    /// (a value that is not a number), so that one attempt lists them all.
    /// </summary>
    public IdleOptions? Bind(ParseResult parse, List<string> errors)
    {
        var before = errors.Count;
        var relayExe = parse.ValueOrDefault(RelayExe) ?? "";
        if (relayExe.Length > 0 && !File.Exists(relayExe))
        {
            errors.Add($"--relay-exe: '{relayExe}' not found; build it first (dotnet build -c Release)");
        }

        var count = parse.Range(Connections, 1, 50_000, errors);
        var settle = parse.Range(Settle, 1, 120, errors);
        if (parse.ValueOrDefault(GatewayArgs) is { Length: > 0 } && !parse.ValueOrDefault(TunnelOption))
        {
            errors.Add("--gateway-arg: only meaningful with --tunnel (without it no gateway is started)");
        }

        if (errors.Count > before || parse.Errors.Count > 0)
        {
            return null;
        }

        return new IdleOptions(relayExe, count, parse.GetValue(Tls), TimeSpan.FromSeconds(settle), parse.GetValue(RelayArgs) ?? [],
            parse.GetValue(TunnelOption), parse.GetValue(GatewayArgs) ?? []);
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (Bind(parse, errors) is not { } options)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        return await IdleRun.ExecuteAsync(options, Console.Out, cancellationToken);
    }
}
