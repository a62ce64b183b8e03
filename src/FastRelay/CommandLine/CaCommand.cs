using System.CommandLine;
using System.Security.Cryptography;
using FastRelay.Pki;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca</c>: an enterprise CA for small sites and tests (cli.md): <c>init</c>, <c>issue</c>,
/// <c>revoke</c>, <c>crl</c> and an <c>ocsp</c> responder. Bad flags exit 2 with every error listed; a
/// failure of the operation (no CA in the directory, unknown serial, a file that exists) exits 1 with one
/// line naming the input.
/// </summary>
internal static class CaCommand
{
    /// <summary>The <c>ca</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("ca", "An enterprise CA for small sites and tests: issue server and client certificates, revoke them, publish CRLs, answer OCSP.");
        command.Subcommands.Add(new CaInitCommand().Command);
        command.Subcommands.Add(new CaIssueCommand().Command);
        command.Subcommands.Add(new CaRevokeCommand().Command);
        command.Subcommands.Add(new CaCrlCommand().Command);
        command.Subcommands.Add(new CaOcspCommand().Command);
        return command;
    }

    /// <summary>The <c>--dir</c> flag every subcommand has.</summary>
    public static Option<string> DirOption() => new("--dir") { Description = "The CA directory (ca.pem, ca.key, ca.json, index.txt) (required)", HelpName = "DIR" };

    /// <summary>Reads a required flag, adding "required" to <paramref name="errors"/> when it is missing.</summary>
    public static string? Required(ParseResult parseResult, Option<string> option, string expected, List<string> errors)
    {
        if (parseResult.GetValue(option) is { Length: > 0 } value)
        {
            return value;
        }

        errors.Add($"{option.Name}: required: {expected}");
        return null;
    }

    /// <summary>Runs <paramref name="action"/>, turning an expected failure into one line on stderr and exit 1.</summary>
    public static int Run(string name, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException or CryptographicException or ArgumentException and not (ArgumentNullException or ArgumentOutOfRangeException))
        {
            Console.Error.WriteLine($"fastrelay ca {name}: {ex.Message}");
            return ExitCodes.RuntimeFailure;
        }
    }
}
