using System.CommandLine;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Cli;

/// <summary>
/// <c>fastrelay-bench backend --mode echo|sink --listen IP:PORT</c>: the harness backend on its own, until Ctrl-C,
/// for measuring other proxies (nginx stream, socat, HAProxy) or a relay started by hand. <c>run --child-backends</c>
/// starts its backends this way (see <see cref="BackendProcess"/>).
/// </summary>
internal sealed class BackendCommand
{
    public BackendCommand()
    {
        Command = new Command("backend", "Run an echo or sink backend until Ctrl-C (for manual runs against other proxies).");
        Command.Options.Add(Mode);
        Command.Options.Add(Listen);
        Command.SetAction(ExecuteAsync);
    }

    /// <summary>The System.CommandLine command, added to the root by <see cref="BenchCommandLine"/>.</summary>
    public Command Command { get; }

    /// <summary><c>--mode echo|sink</c>.</summary>
    public Option<string> Mode { get; } = new("--mode")
    {
        Description = "echo: write every byte back; sink: count bytes, answer the total (8 bytes LE) on FIN.",
        HelpName = "echo|sink",
        Required = true,
    };

    /// <summary><c>--listen IP:PORT</c>; port 0 picks a free port.</summary>
    public Option<string> Listen { get; } = new("--listen")
    {
        Description = "Address to bind; port 0 picks a free one and prints it.",
        HelpName = "IP:PORT",
        DefaultValueFactory = _ => "127.0.0.1:0",
    };

    /// <summary>Appends a line per problem with the backend options to <paramref name="errors"/>.</summary>
    public (BackendMode Mode, System.Net.IPEndPoint EndPoint)? Bind(ParseResult parse, List<string> errors)
    {
        var modeText = parse.ValueOrDefault(Mode);
        BackendMode? mode = modeText?.ToUpperInvariant() switch
        {
            "ECHO" => BackendMode.Echo,
            "SINK" => BackendMode.Sink,
            _ => null,
        };
        if (mode is null && modeText is not null)
        {
            errors.Add($"--mode: expected echo or sink (got '{modeText}')");
        }

        var listenText = parse.ValueOrDefault(Listen);
        if (!UnitParser.TryParseEndPoint(listenText, out var endPoint))
        {
            errors.Add($"--listen: expected IP:PORT such as 127.0.0.1:9000 (got '{listenText}')");
        }

        return mode is { } m && endPoint is not null ? (m, endPoint) : null;
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (Bind(parse, errors) is not { } bound)
        {
            BenchCommandLine.PrintErrors(errors);
            return ExitCodes.BadArguments;
        }

        var (mode, endPoint) = bound;
        LoopbackBackend backend;
        try
        {
            backend = LoopbackBackend.Start(endPoint, mode);
        }
        catch (SocketException ex)
        {
            BenchCommandLine.PrintErrors([$"--listen: cannot bind {endPoint} ({ex.SocketErrorCode}: {ex.Message})"]);
            return ExitCodes.BadArguments;
        }

        await using var running = backend;
        await Console.Out.WriteLineAsync(BackendProcess.ListeningLine(mode, backend.EndPoint));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C (System.CommandLine cancels the token on SIGINT/SIGTERM): the normal way out.
        }

        await Console.Out.WriteLineAsync($"stopped after {backend.AcceptedConnections} connections");
        return ExitCodes.Success;
    }
}
