using System.CommandLine;
using System.Globalization;
using System.Net;
using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay policy explain FILE --src IP --dst IP --port N [...]</c>: decides one connection with the
/// compiled rule set the relay uses and prints the deciding group and rule and why (or the default deny),
/// with the reason each rule before it did not match. Exit 0 with a decision; 2 with every error in the
/// flags and the file listed.
/// </summary>
internal sealed class PolicyExplainCommand
{
    private readonly Argument<string> _file = new("FILE") { Description = "The policy file (JSON)." };
    private readonly Option<string> _source = new("--src") { Description = "Source address: the client (required)", HelpName = "IP" };
    private readonly Option<string> _destination = new("--dst") { Description = "Destination address: the listener (Inbound) or the upstream (Outbound) (required)", HelpName = "IP" };
    private readonly Option<string> _port = new("--port") { Description = "Destination port (required, except with --proto icmp, where it plays no part)", HelpName = "N" };
    private readonly Option<string> _protocol = new("--proto") { Description = "tcp|udp|icmp [default: tcp]", HelpName = "PROTOCOL" };
    private readonly Option<string> _direction = new("--direction") { Description = "The checkpoint: inbound|outbound [default: inbound]", HelpName = "DIRECTION" };
    private readonly Option<string> _at = new("--at") { Description = "The time, ISO 8601 such as 2025-06-02T09:00+08:00 (UTC if no offset) [default: now]", HelpName = "TIME" };
    private readonly Option<string> _service = new("--service") { Description = "The route the client asked for [default: none]", HelpName = "NAME" };
    private readonly Option<string[]> _identity = new("--identity")
    {
        Description = "A client certificate fact: CN=NAME, SAN:DNS=NAME or SAN:URI=URI. Repeatable [default: no certificate]",
        HelpName = "FACT",
        AllowMultipleArgumentsPerToken = false,
    };

    public PolicyExplainCommand()
    {
        Command = new Command("explain", "Show which group and rule decide a connection, and why (or the default deny).");
        Command.Arguments.Add(_file);
        foreach (Option option in new Option[] { _source, _destination, _port, _protocol, _direction, _at, _service, _identity })
        {
            Command.Options.Add(option);
        }
        Command.SetAction(Run);
    }

    public Command Command { get; }

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var request = ReadRequest(parseResult, errors);
        var path = parseResult.GetValue(_file)!;
        var fileErrors = new List<string>();
        var policy = PolicyFile.TryLoad(path, fileErrors);
        errors.AddRange(fileErrors.Select(e => $"{path}: {e}"));
        if (ExitCodes.PendingParseErrors is { Count: > 0 })
        {
            return ExitCodes.PrintConfigErrors(errors); // With the parser's errors (Program.ChecksFirst).
        }

        if (errors.Count > 0 || policy is null || request is null)
        {
            return PolicyFile.PrintErrors("policy explain", errors);
        }

        PolicyExplanation.PrintEnforced(policy, request.Value, Console.Out);
        return ExitCodes.Success;
    }

    private FilterRequest? ReadRequest(ParseResult parseResult, List<string> errors)
    {
        var before = errors.Count;
        var source = ReadAddress(parseResult, _source, errors);
        var destination = ReadAddress(parseResult, _destination, errors);
        var protocol = ReadChoice(parseResult, _protocol, [("tcp", FilterProtocol.Tcp), ("udp", FilterProtocol.Udp), ("icmp", FilterProtocol.Icmp)], FilterProtocol.Tcp, errors);
        var port = 0;
        if (parseResult.GetValue(_port) is not { } portText)
        {
            if (protocol != FilterProtocol.Icmp) // ICMP has no ports (its rules have no PortRange): a --port given with it is checked, then plays no part.
                errors.Add("--port: required: the destination port, 1 to 65535 (not with --proto icmp)");
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > PortSet.MaxPort)
            errors.Add(new ConfigError("--port", portText, "expected a port number from 1 to 65535").ToString());

        var direction = ReadChoice(parseResult, _direction, [("inbound", FilterDirection.Inbound), ("outbound", FilterDirection.Outbound)], FilterDirection.Inbound, errors);
        var at = TimeProvider.System.GetUtcNow();
        if (parseResult.GetValue(_at) is { } atText && !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at))
            errors.Add(new ConfigError("--at", atText, "expected an ISO 8601 time such as 2025-06-02T09:00+08:00").ToString());

        var service = parseResult.GetValue(_service);
        if (service is not null && !RouteSyntax.IsValidServiceName(service))
            errors.Add(new ConfigError("--service", service, RouteSyntax.ServiceNameExpected).ToString());

        ClientIdentity? identity = null;
        if (parseResult.GetValue(_identity) is { Length: > 0 } facts && !ClientIdentity.TryParse(facts, out identity, out var identityError))
            errors.Add($"--identity {identityError}");

        return errors.Count > before || source is null || destination is null ? null
            : new FilterRequest(direction, FiveTuple.Create(source, destination, port, protocol), at, identity, service);
    }

    private static IPAddress? ReadAddress(ParseResult parseResult, Option<string> option, List<string> errors)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            errors.Add($"{option.Name}: required: an IPv4 or IPv6 address");
            return null;
        }

        var ranges = new List<AddressRange>();
        if (text.Contains('/', StringComparison.Ordinal) || !AddressSyntax.TryParse(text, ranges, out _))
        {
            errors.Add(new ConfigError(option.Name, text, "expected one IPv4 or IPv6 address, such as 192.168.1.7 or 2001:db8::7").ToString());
            return null;
        }

        return IPAddress.Parse(text);
    }

    private static T ReadChoice<T>(ParseResult parseResult, Option<string> option, (string Name, T Value)[] choices, T fallback, List<string> errors)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            return fallback;
        }

        foreach (var (name, value) in choices)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) return value;
        }

        errors.Add(new ConfigError(option.Name, text, $"expected one of {string.Join("|", choices.Select(c => c.Name))}").ToString());
        return fallback;
    }
}
