using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.Pki;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca revoke --dir DIR --serial N [--reason REASON]</c>: marks a certificate revoked in
/// index.txt. A running <c>ca ocsp</c> answers "revoked" from its next request; relays that use CRLs need
/// a new one from <c>ca crl</c>.
/// </summary>
internal sealed class CaRevokeCommand
{
    private readonly Option<string> _dir = CaCommand.DirOption();
    private readonly Option<string> _serial = new("--serial") { Description = "The serial 'fastrelay ca issue' printed (hex) (required)", HelpName = "N" };
    private readonly Option<string> _reason = new("--reason") { Description = $"{CaIndex.ReasonsExpected} [default: unspecified]", HelpName = "REASON" };

    public CaRevokeCommand()
    {
        Command = new Command("revoke", "Revoke a certificate by serial; then publish with 'ca crl' (a running 'ca ocsp' answers revoked at once).");
        Command.Options.Add(_dir);
        Command.Options.Add(_serial);
        Command.Options.Add(_reason);
        Command.SetAction(Run);
    }

    public Command Command { get; }

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var dir = CaCommand.Required(parseResult, _dir, "the CA directory made by 'fastrelay ca init'", errors);
        var serial = CaCommand.Required(parseResult, _serial, SerialNumber.Expected, errors);
        if (serial is not null && !SerialNumber.TryParse(serial, out _))
        {
            errors.Add(new ConfigError("--serial", serial, "expected " + SerialNumber.Expected).ToString());
        }

        var reason = X509RevocationReason.Unspecified;
        if (parseResult.GetValue(_reason) is { } reasonText && !CaIndex.TryParseReason(reasonText, out reason))
        {
            errors.Add(new ConfigError("--reason", reasonText, "expected one of " + CaIndex.ReasonsExpected).ToString());
        }

        if (ExitCodes.MustStop(errors))
        {
            return ExitCodes.PrintConfigErrors(errors);
        }

        return CaCommand.Run("revoke", () =>
        {
            using var ca = CertificateAuthority.Open(dir!, TimeProvider.System);
            var changed = ca.Revoke(serial!, reason, out var entry);
            var what = $"{entry.Serial} ({entry.Name}) at {entry.RevokedAt:yyyy-MM-ddTHH:mm:ssZ}, reason {CaIndex.ReasonName(entry.Reason)}";
            Console.WriteLine(changed
                ? $"revoked {what}; publish a new CRL with 'fastrelay ca crl --dir {dir} --out FILE'"
                : $"already revoked: {what}");
            return ExitCodes.Success;
        });
    }
}
