using System.CommandLine;

namespace FastRelay.CommandLine;

/// <summary>
/// A command of cli.md whose piece is not built yet (<c>gateway</c>, <c>keygen</c>, <c>ca</c>): it exists so
/// that scripts get a clear "not yet" with exit code 2 instead of "unrecognized command".
/// </summary>
internal static class PlannedCommand
{
    public static Command Create(string name, string piece)
    {
        var command = new Command(name, $"Not available in this version of FastRelay (it comes with {piece}).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(_ =>
        {
            Console.Error.WriteLine($"fastrelay {name}: not available in this version of FastRelay (it comes with {piece}).");
            return ExitCodes.BadConfiguration;
        });
        return command;
    }
}
