using System.CommandLine;

namespace FastRelay.CommandLine;

/// <summary><c>fastrelay audit</c>: operator commands for the audit log (README "Audit log").</summary>
internal static class AuditCommand
{
    /// <summary>The <c>audit</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("audit", "Read the audit log: one record per decision on every connection.");
        command.Subcommands.Add(new AuditQueryCommand().Command);
        return command;
    }
}
