using System.CommandLine;
using System.Globalization;
using FastRelay.Configuration;
using FastRelay.Pki;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca init --dir DIR [--name NAME] [--key-type ecdsa|rsa] [--days N] [--ocsp-url URL] [--crl-url URL]</c>:
/// creates the CA: ca.pem, ca.key (0600), ca.json, an empty index.txt and crlnumber.
/// </summary>
internal sealed class CaInitCommand
{
    private const int DefaultDays = 3650;
    private const string DefaultName = "FastRelay CA";

    private readonly Option<string> _dir = CaCommand.DirOption();
    private readonly Option<string> _name = new("--name") { Description = $"The CA's common name [default: {DefaultName}]", HelpName = "NAME" };
    private readonly Option<string> _keyType = new("--key-type") { Description = "ecdsa (P-256) or rsa (3072 bits); issued certificates use the same unless told otherwise [default: ecdsa]", HelpName = "TYPE" };
    private readonly Option<string> _days = new("--days") { Description = $"Validity of the CA certificate in days [default: {DefaultDays}]", HelpName = "N" };
    private readonly Option<string> _ocspUrl = new("--ocsp-url") { Description = "OCSP responder URL written into every issued certificate (AIA), e.g. http://ca.internal:8080 where 'fastrelay ca ocsp' listens [default: none]", HelpName = "URL" };
    private readonly Option<string> _crlUrl = new("--crl-url") { Description = "CRL URL written into every issued certificate (CRL distribution points) [default: none]", HelpName = "URL" };

    public CaInitCommand()
    {
        Command = new Command("init", "Create an enterprise CA in DIR: ca.pem, ca.key (mode 0600), ca.json, index.txt.");
        foreach (var option in new[] { _dir, _name, _keyType, _days, _ocspUrl, _crlUrl })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    public Command Command { get; }

    /// <summary>A CA name goes into a distinguished name: no characters with meaning there (RFC 4514 2.4).</summary>
    internal static bool IsValidCaName(string name) =>
        name.Length is >= 1 and <= 64 && name.Trim() == name && !name.Any(c => char.IsControl(c) || ",+=\"\\<>;#".Contains(c, StringComparison.Ordinal));

    internal static bool TryReadKeyType(string? text, out CaKeyType? type)
    {
        type = null;
        switch (text?.ToLowerInvariant())
        {
            case null:
                return true;
            case "ecdsa":
                type = CaKeyType.Ecdsa;
                return true;
            case "rsa":
                type = CaKeyType.Rsa;
                return true;
            default:
                return false;
        }
    }

    internal static int ReadDays(ParseResult parseResult, Option<string> option, int fallback, int max, List<string> errors)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days >= 1 && days <= max)
        {
            return days;
        }

        errors.Add(new ConfigError(option.Name, text, $"expected a whole number of days from 1 to {max}").ToString());
        return fallback;
    }

    internal static string? ReadUrl(ParseResult parseResult, Option<string> option, List<string> errors)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
        {
            return text;
        }

        // RFC 5019 and CA/B BR: OCSP and CRL URLs are plain http (TLS to check TLS would be circular).
        errors.Add(new ConfigError(option.Name, text, "expected an absolute http:// URL such as http://127.0.0.1:8080").ToString());
        return null;
    }

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var dir = CaCommand.Required(parseResult, _dir, "the directory to create the CA in", errors);
        var name = parseResult.GetValue(_name) ?? DefaultName;
        if (!IsValidCaName(name))
        {
            errors.Add(new ConfigError("--name", name, "expected 1-64 characters without , + = \" \\ < > ; # or leading/trailing spaces").ToString());
        }

        if (!TryReadKeyType(parseResult.GetValue(_keyType), out var keyType))
        {
            errors.Add(new ConfigError("--key-type", parseResult.GetValue(_keyType), "expected ecdsa or rsa").ToString());
        }

        var days = ReadDays(parseResult, _days, DefaultDays, 36_500, errors);
        var settings = new CaSettings { OcspUrl = ReadUrl(parseResult, _ocspUrl, errors), CrlUrl = ReadUrl(parseResult, _crlUrl, errors) };
        if (ExitCodes.MustStop(errors))
        {
            return ExitCodes.PrintConfigErrors(errors);
        }

        return CaCommand.Run("init", () =>
        {
            using var ca = CertificateAuthority.Init(dir!, name, keyType ?? CaKeyType.Ecdsa, days, settings, TimeProvider.System);
            Console.WriteLine($"CA '{name}' created in {ca.Files.Directory}");
            Console.WriteLine($"  certificate  {ca.Files.Certificate} (give it to 'fastrelay edge --client-ca', valid until {ca.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})");
            Console.WriteLine($"  private key  {ca.Files.Key} (mode 0600; keep it secret)");
            Console.WriteLine($"  OCSP URL     {settings.OcspUrl ?? "(none)"}; CRL URL {settings.CrlUrl ?? "(none)"}");
            return ExitCodes.Success;
        });
    }
}
