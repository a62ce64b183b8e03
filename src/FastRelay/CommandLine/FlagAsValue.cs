using System.CommandLine;
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
    /// <summary>
    /// Adds an error to <paramref name="errors"/> for each flag whose value is another flag of the command, and returns
    /// <paramref name="args"/> without those flags (so the one taken as a value is read as a flag), or null when none.
    /// </summary>
    public static string[]? Strip(ParseResult result, string[] args, List<string> errors)
    {
        var command = result.CommandResult.Command;
        var flags = command.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
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
                    errors.Add(ParseErrorText.FlagTakenAsValue(command, flag, value.Value));
                    changed = true;
                }
            }
        }

        return changed ? [.. kept] : null;
    }
}
