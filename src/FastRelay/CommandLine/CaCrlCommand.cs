using System.CommandLine;
using System.Security.Cryptography;
using FastRelay.Configuration;
using FastRelay.Pki;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca crl --dir DIR --out FILE [--days N] [--format pem|der]</c>: signs a CRL of every revoked
/// certificate with nextUpdate N days ahead, written atomically (a temp file renamed over FILE) so a relay
/// watching FILE (<c>edge --crl FILE</c>) never reads half a CRL.
/// </summary>
internal sealed class CaCrlCommand
{
    private readonly Option<string> _dir = CaCommand.DirOption();
    private readonly Option<string> _out = new("--out") { Description = "Where to write the CRL (required)", HelpName = "FILE" };
    private readonly Option<string> _days = new("--days") { Description = $"Days until nextUpdate; publish a new one before then [default: {CertificateAuthority.DefaultCrlDays}]", HelpName = "N" };
    private readonly Option<string> _format = new("--format") { Description = "pem or der [default: pem]", HelpName = "FORMAT" };

    public CaCrlCommand()
    {
        Command = new Command("crl", "Sign a CRL listing every revoked certificate, with nextUpdate; for 'fastrelay edge --crl FILE'.");
        foreach (var option in new[] { _dir, _out, _days, _format })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    public Command Command { get; }

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var dir = CaCommand.Required(parseResult, _dir, "the CA directory made by 'fastrelay ca init'", errors);
        var output = CaCommand.Required(parseResult, _out, "the file to write the CRL to", errors);
        var days = CaInitCommand.ReadDays(parseResult, _days, CertificateAuthority.DefaultCrlDays, 3650, errors);
        var format = parseResult.GetValue(_format)?.ToLowerInvariant() ?? "pem";
        if (format is not ("pem" or "der"))
        {
            errors.Add(new ConfigError("--format", format, "expected pem or der").ToString());
        }

        if (ExitCodes.MustStop(errors))
        {
            return ExitCodes.PrintConfigErrors(errors);
        }

        return CaCommand.Run("crl", () =>
        {
            // The output is checked first: a typo in --out must not use up a CRL number.
            var full = Path.GetFullPath(output!);
            if (Path.GetDirectoryName(full) is { } folder && !Directory.Exists(folder))
            {
                throw new PkiException($"--out {output}: the directory {folder} does not exist"); // Not the temporary file's name.
            }

            if (Directory.Exists(full))
            {
                throw new PkiException($"--out {output}: is a directory; expected the path of the CRL file to write");
            }

            using var ca = CertificateAuthority.Open(dir!, TimeProvider.System);
            var crl = ca.BuildCrl(TimeSpan.FromDays(days));
            var bytes = format == "der" ? crl : System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", crl) + "\n");

            AtomicFile.Write(full, bytes, CaFiles.PublicFileMode, keepExistingMode: true); // By rename: a relay watching the file never reads half of it.
            var revoked = ca.ReadIndex().Count(e => e.IsRevoked);
            Console.WriteLine($"CRL written to {full}: {revoked} revoked certificate{(revoked == 1 ? "" : "s")}, next update in {days} day{(days == 1 ? "" : "s")}");
            return ExitCodes.Success;
        });
    }
}
