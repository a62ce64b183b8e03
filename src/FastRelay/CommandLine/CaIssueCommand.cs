using System.CommandLine;
using System.Net;
using FastRelay.Configuration;
using FastRelay.Pki;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca issue --dir DIR --name NAME (--server --dns NAME... [--ip ADDR...] | --client [--uri URI...])</c>:
/// issues a certificate and key (DIR/NAME.pem, DIR/NAME.key mode 0600) and prints its serial alone on
/// stdout, so a script can keep it for <c>ca revoke</c>; what was issued is described on stderr.
/// </summary>
internal sealed class CaIssueCommand
{
    private readonly Option<string> _dir = CaCommand.DirOption();
    private readonly Option<string> _name = new("--name") { Description = "Subject CN and file names: DIR/NAME.pem, DIR/NAME.key (required)", HelpName = "NAME" };
    private readonly SwitchOption _server = new("--server", "A server certificate: serverAuth EKU; needs --dns or --ip [default: off]");
    private readonly SwitchOption _client = new("--client", "A client certificate: clientAuth EKU [default: off]");
    private readonly Option<string[]> _dns = Repeatable("--dns", "NAME", "A DNS name SAN (wildcards as *.example.com). Repeatable, or several after one --dns [default: none]");
    private readonly Option<string[]> _ip = Repeatable("--ip", "ADDR", "An IP address SAN. Repeatable, or several after one --ip [default: none]");
    private readonly Option<string[]> _uri = Repeatable("--uri", "URI", "A URI SAN, e.g. spiffe://corp/billing. Repeatable, or several after one --uri [default: none]");
    private readonly Option<string> _days = new("--days") { Description = $"Validity in days, cut to the CA's own expiry [default: {IssueRequest.DefaultDays}]", HelpName = "N" };
    private readonly Option<string> _keyType = new("--key-type") { Description = "ecdsa or rsa [default: the CA's]", HelpName = "TYPE" };

    public CaIssueCommand()
    {
        Command = new Command("issue", "Issue a server or client certificate: writes DIR/NAME.pem and DIR/NAME.key (mode 0600), prints the serial.");
        foreach (Option option in new Option[] { _dir, _name, _server, _client, _dns, _ip, _uri, _days, _keyType })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    public Command Command { get; }

    private static Option<string[]> Repeatable(string name, string valueName, string description) => new(name)
    {
        Description = description,
        HelpName = valueName,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true, // cli.md writes --dns NAME...: "--dns a b" as well as "--dns a --dns b".
    };

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var request = Read(parseResult, errors, out var dir);
        if (ExitCodes.MustStop(errors) || request is null)
        {
            return ExitCodes.PrintConfigErrors(errors);
        }

        return CaCommand.Run("issue", () =>
        {
            using var ca = CertificateAuthority.Open(dir!, TimeProvider.System);
            var entry = ca.Issue(request);
            var (certificate, key) = ca.Files.Issued(request.Name);
            var sans = request.DnsNames.Select(d => "DNS:" + d).Concat(request.IpAddresses.Select(i => "IP:" + i)).Concat(request.Uris.Select(u => "URI:" + u));
            Console.Error.WriteLine($"issued {request.Role.ToString().ToLowerInvariant()} certificate {certificate} (CN={request.Name}{string.Concat(sans.Select(s => ", " + s))}), valid until {entry.NotAfter:yyyy-MM-dd}; key {key} (mode 0600); serial:");
            Console.WriteLine(entry.Serial);
            return ExitCodes.Success;
        });
    }

    private IssueRequest? Read(ParseResult parseResult, List<string> errors, out string? dir)
    {
        dir = CaCommand.Required(parseResult, _dir, "the CA directory made by 'fastrelay ca init'", errors);
        var name = CaCommand.Required(parseResult, _name, IssueRequest.NameExpected, errors);
        if (name is not null && !IssueRequest.IsValidName(name))
        {
            errors.Add(new ConfigError("--name", name, "expected " + IssueRequest.NameExpected).ToString());
        }

        var server = _server.IsOn(parseResult);
        var client = _client.IsOn(parseResult);
        if (server == client)
        {
            errors.Add(server ? "--server, --client: mutually exclusive; give one" : "--server or --client: required: what the certificate is for");
        }

        var dns = parseResult.GetValue(_dns) ?? [];
        foreach (var bad in dns.Where(d => !IssueRequest.IsValidDnsName(d)))
        {
            errors.Add(new ConfigError("--dns", bad, "expected a DNS name such as web1.example.com or *.example.com").ToString());
        }

        var ips = new List<IPAddress>();
        foreach (var text in parseResult.GetValue(_ip) ?? [])
        {
            if (Filtering.AddressSyntax.TryParseAddress(text, out var ip)) // Never "10.1" as 10.0.0.1 in a certificate.
                ips.Add(ip);
            else
                errors.Add(new ConfigError("--ip", text, "expected an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5").ToString());
        }

        var uris = new List<Uri>();
        foreach (var text in parseResult.GetValue(_uri) ?? [])
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
                uris.Add(uri);
            else
                errors.Add(new ConfigError("--uri", text, "expected an absolute URI such as spiffe://corp/billing").ToString());
        }

        // Only when none was given at all: a bad one is already named above.
        if (server && (parseResult.GetValue(_dns)?.Length ?? 0) + (parseResult.GetValue(_ip)?.Length ?? 0) == 0)
        {
            errors.Add("--dns or --ip: required with --server: the names clients connect to (RFC 6125 checks the SAN, not the CN)");
        }

        var days = CaInitCommand.ReadDays(parseResult, _days, IssueRequest.DefaultDays, 36_500, errors);
        if (!CaInitCommand.TryReadKeyType(parseResult.GetValue(_keyType), out var keyType))
        {
            errors.Add(new ConfigError("--key-type", parseResult.GetValue(_keyType), "expected ecdsa or rsa").ToString());
        }

        return name is null ? null
            : new IssueRequest(name, server ? CertificateRole.Server : CertificateRole.Client, dns, ips, uris, days, keyType);
    }
}
