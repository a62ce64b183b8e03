using System.Globalization;
using System.Net;

namespace FastRelay.Filtering;

/// <summary>
/// Parses one address item of <c>SourceIP</c>, <c>DestinationIP</c> or an IP set: an IPv4 or IPv6 address or
/// CIDR block, into the <see cref="AddressKey"/> ranges it covers.
/// </summary>
internal static class AddressSyntax
{
    /// <summary>What an address looks like, for error messages.</summary>
    public const string Expected = "expected an IPv4 or IPv6 address or CIDR block such as 192.168.1.0/24 or 2001:db8::/48";

    /// <summary>
    /// True when <paramref name="item"/> is meant as an address (it has a '/' or ':' or is made of digits and
    /// dots), so that a malformed address is reported as such rather than as an unknown IP set name.
    /// </summary>
    public static bool LooksLikeAddress(string item) =>
        item.Contains('/', StringComparison.Ordinal) || item.Contains(':', StringComparison.Ordinal) || item.Contains('[', StringComparison.Ordinal)
        || item.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>
    /// Parses <paramref name="item"/> and adds its ranges to <paramref name="ranges"/>.
    /// </summary>
    /// <returns>False, with <paramref name="error"/> saying what is wrong, when it is not an address or CIDR.</returns>
    public static bool TryParse(string item, List<AddressRange> ranges, out string error)
    {
        var slash = item.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash >= 0 ? item[..slash] : item;
        if (!TryParseAddress(addressText, out var address))
        {
            error = Expected;
            return false;
        }

        var key = AddressKey.From(address);
        var isV4 = addressText.Contains('.', StringComparison.Ordinal) && !addressText.Contains(':', StringComparison.Ordinal);
        var bits = isV4 ? 32 : 128;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(item.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            error = $"the prefix length must be a number from 0 to {bits}";
            return false;
        }

        var hostBits = bits - prefix;
        var hostMask = hostBits == 0 ? UInt128.Zero : (hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1);
        if ((key & hostMask) != 0)
        {
            // A block with host bits set is usually a typo for a different block; say which one we would use.
            error = $"host bits are set; did you mean {AddressKey.ToAddress(key & ~hostMask)}/{prefix}?";
            return false;
        }

        AddRange(isV4, new AddressRange(key, key | hostMask), ranges);
        error = "";
        return true;
    }

    /// <summary>
    /// One address, strictly: IPAddress.TryParse also takes legacy forms ("10.1" is 10.0.0.1, "1" is 0.0.0.1, "0x7f.1"
    /// is 127.0.0.1) and zone ids; only dotted quads and plain IPv6 text are accepted here, so a typo is never silently
    /// a different address. For every flag and file that takes an address (policy, ca issue --ip, audit query --source).
    /// </summary>
    public static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;

        // Hex digits, dots and colons only: IPAddress.TryParse also takes "[2001:db8::2]:8443" and drops the port, so a
        // rule meant for one port would match every port (and a zone id, "fe80::1%eth0", names no address of ours).
        if (text.Length == 0 || !text.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':') || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        // "010.0.0.1" would be read as octal (8.0.0.1) by inet_aton-style parsers: refuse leading zeros.
        var isV6 = text.Contains(':', StringComparison.Ordinal);
        if (isV6 != (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            || (!isV6 && (text.Count(c => c == '.') != 3 || text.Split('.').Any(part => part.Length > 1 && part[0] == '0'))))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    // An IPv6 block that spans the IPv4-mapped block (::/0, ::/64, ...) means IPv6 peers: it is cut around the
    // block, so that "::/0" does not let in every IPv4 client too. A block inside it (::ffff:10.0.0.0/104) is
    // an IPv4 block written in IPv6 and is kept as it is.
    private static void AddRange(bool isV4, AddressRange range, List<AddressRange> ranges)
    {
        var spansIPv4Block = range.First <= AddressKey.IPv4First && range.Last >= AddressKey.IPv4Last
            && (range.First < AddressKey.IPv4First || range.Last > AddressKey.IPv4Last);
        if (isV4 || !spansIPv4Block)
        {
            ranges.Add(range);
            return;
        }

        if (range.First < AddressKey.IPv4First)
        {
            ranges.Add(range with { Last = AddressKey.IPv4First - 1 });
        }

        if (range.Last > AddressKey.IPv4Last)
        {
            ranges.Add(range with { First = AddressKey.IPv4Last + 1 });
        }
    }
}
