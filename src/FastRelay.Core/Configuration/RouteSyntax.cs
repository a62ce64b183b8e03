using System.Net;
using System.Globalization;

namespace FastRelay.Configuration;

/// <summary>
/// Parses <c>SERVICE=TARGET[,TARGET...]</c> where TARGET is <c>HOST:PORT[;weight=N]</c> (a direct target) or
/// <c>tunnel:HOST:PORT[;weight=N]</c> (the gateway dials it; cli.md). A route may mix both kinds.
/// </summary>
public static class RouteSyntax
{
    private const int MaxDnsNameLength = 253;

    /// <summary>What a service name looks like, for error messages.</summary>
    public const string ServiceNameExpected =
        "a service name is 1 to 64 letters, digits, '.', '_' or '-' (it is stored in the audit table's VARCHAR(64))";

    /// <summary>The prefix of a target the gateway dials (<c>tunnel:HOST:PORT</c>).</summary>
    public const string TunnelPrefix = "tunnel:";

    /// <summary>True for 1..64 characters of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValidServiceName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Parses one <c>--route</c> value.</summary>
    public static bool TryParse(string text, out RouteOptions? route, out string error)
    {
        route = null;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            error = "expected SERVICE=[tunnel:]HOST:PORT[;weight=N][,[tunnel:]HOST:PORT...]";
            return false;
        }

        var service = text[..eq];
        if (!IsValidServiceName(service))
        {
            error = ServiceNameExpected;
            return false;
        }

        // Every bad target is named, not only the first: one round of fixes, not one per target.
        var targets = new List<TargetOptions>();
        var bad = new List<string>();
        foreach (var part in text[(eq + 1)..].Split(','))
        {
            if (TryParseTarget(part.Trim(), out var target, out var targetError))
            {
                targets.Add(target!);
            }
            else
            {
                bad.Add($"target '{part}': {targetError}");
            }
        }

        if (bad.Count > 0)
        {
            error = string.Join("; ", bad);
            return false;
        }

        route = new RouteOptions(service, targets);
        error = "";
        return true;
    }

    /// <summary>Parses one TARGET (<c>[tunnel:]HOST:PORT[;weight=N]</c>): a route's, or one line of a discovery answer.</summary>
    internal static bool TryParseTarget(string text, out TargetOptions? target, out string error)
    {
        target = null;
        var weight = 1;
        var semicolon = text.IndexOf(';', StringComparison.Ordinal);
        var address = semicolon >= 0 ? text[..semicolon] : text;
        if (semicolon >= 0)
        {
            var parameter = text[(semicolon + 1)..];
            if (!parameter.StartsWith("weight=", StringComparison.OrdinalIgnoreCase)
                || !int.TryParse(parameter.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out weight)
                || weight is < 1 or > 100)
            {
                error = "expected ;weight=N with N from 1 to 100";
                return false;
            }
        }

        // tunnel:HOST:PORT is sent through the gateway pool, which resolves nothing: the gateway resolves and
        // dials HOST (so a name that only the exit's network knows works), after its own Outbound check.
        var viaTunnel = address.StartsWith(TunnelPrefix, StringComparison.OrdinalIgnoreCase);
        if (viaTunnel)
        {
            address = address[TunnelPrefix.Length..];
        }

        if (!EndPointSyntax.TrySplit(address, allowPortZero: false, out var host, out var port, out error))
        {
            return false;
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            error = "the host must be an IP address or a DNS name";
            return false;
        }

        if (viaTunnel && host.Length > 255)
        {
            error = "a tunnel target's name is at most 255 bytes (the OPEN frame carries it with a one-byte length)";
            return false;
        }

        // The OPEN frame carries a name in ASCII only (docs/PROTOCOL.md); Uri.CheckHostName also passes Unicode names,
        // which would otherwise fail on every session instead of here.
        if (viaTunnel && !IPAddress.TryParse(host, out _) && Tunnel.Frames.TunnelTargetCodec.CheckName(host) is { } bad)
        {
            error = $"a tunnel target's name takes ASCII letters, digits, '-', '_' and '.' only (an internationalized name in its xn-- form): {bad}";
            return false;
        }

        if (host.TrimEnd('.').Length > MaxDnsNameLength) // A fully qualified name may end in a dot.
        {
            // Uri.CheckHostName checks each label, not the whole; a longer name can never resolve, and the resolver
            // throws for it (ArgumentOutOfRangeException) instead of failing the lookup.
            error = $"a DNS name is at most {MaxDnsNameLength} characters (RFC 1035)";
            return false;
        }

        target = new TargetOptions(host, port, weight, viaTunnel);
        return true;
    }
}
