namespace FastRelay.CommandLine;

/// <summary>
/// One flag of a command: its name (as in cli.md, without dashes), the placeholder shown in --help, the
/// help text with its default, and whether it may be repeated.
/// </summary>
internal sealed record FlagSpec(string Name, string ValueName, string Description, bool Repeatable = false);
