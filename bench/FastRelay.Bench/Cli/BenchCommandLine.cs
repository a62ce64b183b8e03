using System.CommandLine;
using System.CommandLine.Help;

namespace FastRelay.Bench.Cli;

/// <summary>
/// The root command. Parse errors and option-value errors are printed together, one per line, and the process
/// exits with <see cref="ExitCodes.BadArguments"/>; System.CommandLine's default would exit 1, which scripts
/// read as "a phase failed".
/// </summary>
internal sealed class BenchCommandLine
{
    private readonly RunCommand _run = new();
    private readonly BackendCommand _backend = new();
    private readonly IdleCommand _idle = new();
    private readonly FailoverCommand _failover = new();
    private readonly SoakCommand _soak = new();
    private readonly RootCommand _root;

    public BenchCommandLine()
    {
        _root = new RootCommand("fastrelay-bench: load harness comparing the direct path with the FastRelay path.");
        _root.Subcommands.Add(_run.Command);
        _root.Subcommands.Add(_backend.Command);
        _root.Subcommands.Add(_idle.Command);
        _root.Subcommands.Add(_failover.Command);
        _root.Subcommands.Add(_soak.Command);
        foreach (var command in _root.Subcommands)
        {
            command.Options.Add(new VersionOption()); // --version on every command, as on fastrelay's.
        }
    }

    /// <summary>Parses <paramref name="args"/>, then runs the chosen command; returns the process exit code.</summary>
    public async Task<int> InvokeAsync(string[] args)
    {
        var parse = _root.Parse(args);
        if (parse.Errors.Count == 0 || parse.Action is HelpAction)
        {
            return await parse.InvokeAsync();
        }

        // Add the value errors of the chosen command too, so one attempt shows every problem.
        var errors = parse.Errors.Select(e => e.Message).ToList();
        if (parse.CommandResult.Command == _run.Command)
        {
            _ = RunOptionsBinder.Bind(_run, parse, errors); // Only its errors are wanted here.
        }
        else if (parse.CommandResult.Command == _backend.Command)
        {
            _ = _backend.Bind(parse, errors); // Only its errors are wanted here.
        }
        else if (parse.CommandResult.Command == _idle.Command)
        {
            _ = _idle.Bind(parse, errors);
        }
        else if (parse.CommandResult.Command == _failover.Command)
        {
            _ = _failover.Bind(parse, errors);
        }
        else if (parse.CommandResult.Command == _soak.Command)
        {
            _ = _soak.Bind(parse, errors);
        }

        PrintErrors(errors);
        return ExitCodes.BadArguments;
    }

    /// <summary>Prints every problem to stderr, one per line, then where to look for help.</summary>
    public static void PrintErrors(IEnumerable<string> errors)
    {
        Console.Error.WriteLine("fastrelay-bench: bad arguments:");
        foreach (var error in errors.Distinct())
        {
            Console.Error.WriteLine($"  {error}");
        }

        Console.Error.WriteLine("Run 'fastrelay-bench <command> --help' for the options.");
    }
}
