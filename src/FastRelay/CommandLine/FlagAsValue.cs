using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace FastRelay.CommandLine;

/// <summary>
/// A flag given without its value takes the next flag as its value: <c>keygen --out --force</c> wrote a key to a
/// file named "--force", <c>ca init --dir --name X</c> made a CA in a folder named "--name". A value that is one of the
/// same command's flags is refused instead, as a flag given without its value.
/// </summary>
/// <remarks>
/// A value that only looks like a flag (<c>--out -x.key</c>, <c>--tls-cert --weird</c>) is kept: only the command's own
/// flag names are surely a slip. To give such a name as a value, write it with a path (<c>--out ./--force</c>).
/// </remarks>
internal static class FlagAsValue
{
    // The errors Strip reported (one command per process): about the command line, so never renamed after a config
    // file that sets the same flag (ConfigArguments.NameOrigin).
    private static readonly HashSet<string> Reported = new(StringComparer.Ordinal);

    /// <summary>True for an error <see cref="Strip"/> reported.</summary>
    public static bool IsCommandLineError(string error) => Reported.Contains(error);

    /// <summary>
    /// Adds an error to <paramref name="errors"/> for each flag whose value is another flag of the command, and returns
    /// <paramref name="args"/> without those flags (so the one taken as a value is read as a flag), or null when none.
    /// </summary>
    public static string[]? Strip(ParseResult result, string[] args, List<string> errors)
    {
        var command = result.CommandResult.Command;

        // The command's own flags and those it inherits (--help, -h and -? are the root's, recursive).
        var options = command.Options.Concat(Ancestors(command).SelectMany(c => c.Options).Where(o => o.Recursive));
        var flags = options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        var kept = args.ToList();
        var changed = false;
        foreach (var option in result.CommandResult.Children.OfType<OptionResult>())
        {
            var flag = option.IdentifierToken?.Value ?? option.Option.Name;
            foreach (var value in option.Tokens.Where(t => flags.Contains(t.Value)))
            {
                // The flag stands right before the value it took; from the end, as the parser's last value wins.
                var at = Enumerable.Range(0, kept.Count - 1).LastOrDefault(i => kept[i] == flag && kept[i + 1] == value.Value, -1);
                if (at >= 0)
                {
                    kept.RemoveAt(at);
                    if (result.RootCommandResult.Command.Options.Concat(command.Options).Any(o => o is HelpOption or VersionOption && (o.Name == value.Value || o.Aliases.Contains(value.Value))))
                    {
                        kept.RemoveAt(at); // --help or --version as a value was a slip too: listing the errors wins over printing help.
                    }

                    var error = ParseErrorText.FlagTakenAsValue(command, flag, value.Value);
                    Reported.Add(error);
                    errors.Add(error);
                    changed = true;
                }
            }
        }

        return changed ? [.. kept] : null;
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var at = command.Parents.OfType<Command>().FirstOrDefault(); at is not null; at = at.Parents.OfType<Command>().FirstOrDefault())
        {
            yield return at;
        }
    }
}
