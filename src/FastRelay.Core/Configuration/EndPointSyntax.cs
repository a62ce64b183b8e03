using System.Globalization;
using System.Net;

namespace FastRelay.Configuration;

/// <summary>
/// Parses <c>HOST:PORT</c> as written on the command line: <c>127.0.0.1:8443</c>, <c>[::1]:8443</c>,
/// <c>crm.internal:443</c>. IPv6 literals need brackets so the port is never ambiguous.
/// </summary>
public static class EndPointSyntax
{
    /// <summary>Splits <paramref name="text"/> into host and port (1..65535, or 0 when <paramref name="allowPortZero"/>).</summary>
    /// <returns>False, with <paramref name="error"/> naming what is wrong, when the text is not HOST:PORT.</returns>
    public static bool TrySplit(string text, bool allowPortZero, out string host, out int port, out string error)
    {
        host = "";
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = "expected HOST:PORT (IPv6 as [ADDR]:PORT)";
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']') || !IPAddress.TryParse(host[1..^1], out _))
            {
                error = "expected [IPv6]:PORT";
                return false;
            }

            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            error = "an IPv6 address needs brackets: [ADDR]:PORT";
            return false;
        }

        var min = allowPortZero ? 0 : 1;
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || port < min || port > 65535)
        {
            error = $"port must be a number from {min} to 65535";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>Parses an <c>ADDR:PORT</c> whose address is an IP literal (listeners bind addresses, not names).</summary>
    public static bool TryParseIPEndPoint(string text, out IPEndPoint? endPoint, out string error)
    {
        endPoint = null;
        if (!TrySplit(text, allowPortZero: true, out var host, out var port, out error))
        {
            return false;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            error = "the address must be an IP literal such as 0.0.0.0, 127.0.0.1 or [::]";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
