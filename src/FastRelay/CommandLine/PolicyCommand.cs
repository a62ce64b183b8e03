using System.CommandLine;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay policy</c>: operator commands for the security-group policy file (cli.md):
/// <c>check</c> validates it and lists what it means, <c>explain</c> shows which rule decides a connection.
/// </summary>
internal static class PolicyCommand
{
    /// <summary>The <c>policy</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("policy", "Check a security-group policy file, or explain which rule decides a connection.");
        command.Subcommands.Add(PolicyCheckCommand.Create());
        command.Subcommands.Add(new PolicyExplainCommand().Command);
        return command;
    }
}
