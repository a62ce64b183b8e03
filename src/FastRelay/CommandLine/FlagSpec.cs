namespace FastRelay.CommandLine;

/// <summary>
/// One flag of a command: its name (as in cli.md, without dashes), the placeholder shown in --help, the
/// help text with its default, whether it may be repeated, and whether it is a switch (<c>--allow-any-target</c>
/// alone means true; <c>--allow-any-target false</c> and the config file's <c>true</c>/<c>false</c> work too).
/// </summary>
internal sealed record FlagSpec(string Name, string ValueName, string Description, bool Repeatable = false, bool Switch = false);
