using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using FastRelay.CommandLine;
using FastRelay.Hosting;

namespace FastRelay;

/// <summary>The composition root: builds the command tree and runs the chosen command.</summary>
internal static class Program
{
    // No response files: System.CommandLine reads "@name" as "the arguments in file name" by default, so a value
    // that starts with '@' (a password, "@backup.json") was replaced by a file's contents or failed as a missing file.
    private static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    public static async Task<int> Main(string[] args)
    {
        SocketEngineSettings.Apply(); // Before any socket exists: the runtime reads it once.
        InterruptSignal.RestoreIfIgnored(); // Before any Console or signal use: the runtime records an ignore for good.
        var root = new RootCommand("FastRelay: a high-performance TCP relay for the edge VM. See README.md and docs/.");
        IValidatedCommand[] validated = [new EdgeCommand(), new GatewayCommand()];
        foreach (var command in validated)
        {
            root.Subcommands.Add(command.Command);
        }

        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(PolicyCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(KeygenCommand.Create());
        root.Subcommands.Add(CaCommand.Create());
        AddVersionOption(root.Subcommands);
        ConfigArguments.AddTo(root.Subcommands);

        var parseResult = root.Parse(args, Parsing);
        var configErrors = new List<string>();

        // Before the config file is read: a slip may have hidden --config itself (--out --config f.json).
        if (FlagAsValue.Strip(parseResult, args, configErrors) is { } withoutSlips)
        {
            args = withoutSlips;
            parseResult = root.Parse(args, Parsing);
        }

        if (!AsksForHelpOrVersion(parseResult) && ConfigArguments.Expand(parseResult, args, configErrors) is { } withFile)
        {
            args = withFile;
            parseResult = root.Parse(args, Parsing);
        }

        // Parse errors (unknown flags, missing values) and a bad --config file exit 2 with every error listed, like
        // config errors; --help and --version still win, as users expect.
        if ((parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction) || configErrors.Count > 0)
        {
            List<string> errors = [.. ParseErrors(parseResult), .. configErrors];
            var retry = parseResult.Errors.Count == 0 ? (ChecksFirst(parseResult.CommandResult.Command) ? parseResult : null)
                : WithoutUnknownFlags(root, parseResult, args);
            if (retry is not null)
            {
                // The offline commands check their own flags before doing anything: run the command once more without
                // the unknown flags, only so that its errors are listed with them (it stops: MustStop is true).
                ExitCodes.PendingParseErrors = errors;
                return await retry.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
            }

            var own = validated.FirstOrDefault(c => c.Command == parseResult.CommandResult.Command)?.Validate(parseResult) ?? [];
            return ExitCodes.PrintConfigErrors(errors.Concat(own));
        }

        // Signals are ours (EdgeHost drains on SIGTERM/SIGINT); System.CommandLine must not cancel or kill.
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    // Every command that runs something, except edge and gateway (validated apart, through their flag tables), tests
    // ExitCodes.MustStop before any work, so it can run only to list its own errors: demo, keygen, ca *, policy *, audit query.
    private static bool ChecksFirst(Command command) =>
        command is not RootCommand && command.Subcommands.Count == 0 && command.Action is not null
        && command.Name is not ("edge" or "gateway");

    private static bool AsksForHelpOrVersion(ParseResult result) =>
        result.Action is HelpAction || result.CommandResult.Command.Options.Any(o => o is VersionOption && result.GetResult(o) is not null);

    private static List<string> ParseErrors(ParseResult result) =>
        [.. result.Errors.Select(e => ParseErrorText.Describe(e.Message, result.CommandResult.Command))];

    // For the commands whose actions test ExitCodes.MustStop before any work (ChecksFirst), when every parse error is
    // an unknown token or a flag given without its value: the same arguments without those tokens, if that parses
    // cleanly, so that the command lists its own errors beside them (cli.md: all errors at once). Null otherwise.
    private static ParseResult? WithoutUnknownFlags(RootCommand root, ParseResult failed, string[] args)
    {
        var command = failed.CommandResult.Command;
        var valueless = failed.Errors.Select(e => ParseErrorText.FlagWithoutValue(e.Message)).OfType<string>().ToList();
        if (!ChecksFirst(command) || failed.UnmatchedTokens.Count + valueless.Count != failed.Errors.Count)
        {
            return null;
        }

        // By position, from the end: an unknown token may equal a real value given earlier (--dir X ... --bogus X).
        var kept = args.ToList();
        foreach (var token in failed.UnmatchedTokens.Reverse())
        {
            var at = kept.LastIndexOf(token);
            if (at >= 0)
            {
                kept.RemoveAt(at);
            }
        }

        // A flag without its value is the last argument or stands right before another flag.
        foreach (var flag in valueless)
        {
            var at = kept.FindLastIndex(a => a == flag);
            while (at >= 0 && at + 1 < kept.Count && !kept[at + 1].StartsWith('-'))
            {
                at = at == 0 ? -1 : kept.FindLastIndex(at - 1, a => a == flag);
            }

            if (at >= 0)
            {
                kept.RemoveAt(at);
            }
        }

        var retry = root.Parse(kept, Parsing);
        return retry.Errors.Count == 0 && retry.CommandResult.Command == command ? retry : null;
    }

    // --version on every command, nested ones too (the root has its own).
    private static void AddVersionOption(IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            command.Options.Add(new VersionOption());
            AddVersionOption(command.Subcommands);
        }
    }
}
