using System.CommandLine;
using System.Text.RegularExpressions;

namespace FastRelay.CommandLine;

/// <summary>
/// Words System.CommandLine's parse errors the way our own configuration errors are worded (cli.md: which flag, the
/// value, what is expected): "Unrecognized command or argument '--foo'." becomes "--foo: not a flag of 'fastrelay
/// edge'; expected one of the flags its --help lists".
/// </summary>
/// <remarks>
/// Matched on the parser's English text (its resources have no other language for these); any other message, or
/// one worded differently by a later version, is passed through as it is.
/// </remarks>
internal static partial class ParseErrorText
{
    /// <summary>The error <paramref name="message"/> of the parser for <paramref name="command"/>, reworded when known.</summary>
    public static string Describe(string message, Command command)
    {
        var path = CommandPath(command);
        if (Unrecognized().Match(message) is { Success: true } unknown)
        {
            var token = unknown.Groups[1].Value;
            return token.StartsWith('-') ? $"{token}: not a flag of '{path}'; expected one of the flags '{path} --help' lists"
                : command.Subcommands.Count > 0 ? $"'{token}': not a command of '{path}'; expected one of {string.Join(", ", command.Subcommands.Select(c => c.Name))}"
                : $"'{token}': not expected here; '{path}' takes {Arguments(command)} (see '{path} --help')";
        }

        if (RequiredOption().Match(message) is { Success: true } option)
        {
            var name = option.Groups[1].Value;
            return $"{name}: missing; '{path}' needs {name} {ValueName(command, name)}";
        }

        if (MissingValue().Match(message) is { Success: true } value)
        {
            var name = value.Groups[1].Value;
            return $"{name}: no value; expected {name} {ValueName(command, name)}";
        }

        if (GivenTwice().Match(message) is { Success: true } twice)
        {
            return $"{twice.Groups[1].Value}: given {twice.Groups[2].Value} times; expected it once";
        }

        if (NoCommand().IsMatch(message))
        {
            return $"'{path}' needs a command: one of {string.Join(", ", command.Subcommands.Select(c => c.Name))}";
        }

        if (MissingArgument().IsMatch(message))
        {
            return $"{Arguments(command)}: missing; expected '{path} {Arguments(command)}'";
        }

        return message;
    }

    /// <summary>The error for <paramref name="flag"/> of <paramref name="command"/>, which took another of its flags as its value.</summary>
    public static string FlagTakenAsValue(Command command, string flag, string otherFlag) =>
        $"{flag}: no value; expected {flag} {ValueName(command, flag)} ('{otherFlag}' is a flag of '{CommandPath(command)}', not a value)";

    /// <summary>The flag a "no value" error of the parser names (<c>--out</c> given last, or followed by another flag); else null.</summary>
    public static string? FlagWithoutValue(string message) =>
        MissingValue().Match(message) is { Success: true } value ? value.Groups[1].Value : null;

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? at = command; at is not null; at = at.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(at is RootCommand ? "fastrelay" : at.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private static string ValueName(Command command, string flag) =>
        command.Options.FirstOrDefault(o => o.Name == flag || o.Aliases.Contains(flag)) is { } option
            ? option.HelpName ?? option.Name.TrimStart('-').ToUpperInvariant()
            : "VALUE";

    private static string Arguments(Command command) =>
        command.Arguments.Count == 0 ? "flags only" : string.Join(' ', command.Arguments.Select(a => a.HelpName ?? a.Name.ToUpperInvariant()));

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Option '(-[^']*)' is required\.$")]
    private static partial Regex RequiredOption();

    [GeneratedRegex(@"^Required argument missing for option: '(-[^']*)'\.$")]
    private static partial Regex MissingValue();

    [GeneratedRegex(@"^Option '(-[^']*)' expects a single argument but (\d+) were provided\.$")]
    private static partial Regex GivenTwice();

    [GeneratedRegex(@"^Required command was not provided\.$")]
    private static partial Regex NoCommand();

    [GeneratedRegex(@"^Required argument missing for command: '.*'\.$")]
    private static partial Regex MissingArgument();
}
