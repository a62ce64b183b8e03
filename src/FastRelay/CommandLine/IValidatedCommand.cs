using System.CommandLine;

namespace FastRelay.CommandLine;

/// <summary>
/// A command whose flags are validated beyond what the parser checks; on a parse error its own errors are
/// listed too, so the user sees every problem in one run (cli.md).
/// </summary>
internal interface IValidatedCommand
{
    Command Command { get; }

    /// <summary>Every error in the flags and config file, one line each; empty when all is well.</summary>
    IEnumerable<string> Validate(ParseResult parseResult);
}
