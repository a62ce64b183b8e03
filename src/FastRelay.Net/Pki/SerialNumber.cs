using System.Globalization;
using System.Security.Cryptography;

namespace FastRelay.Pki;

/// <summary>
/// Certificate serial numbers as <c>fastrelay ca</c> writes and reads them: upper-case hex of the DER
/// INTEGER's content bytes (as <c>openssl x509 -serial</c> prints them), so one string names a certificate
/// in <c>ca issue</c>'s output, <c>ca revoke --serial</c>, index.txt and OpenSSL's tools.
/// </summary>
internal static class SerialNumber
{
    /// <summary>What a serial must look like, for error messages.</summary>
    public const string Expected = "the hex serial printed by 'fastrelay ca issue' (e.g. 5F3A09C2...; colons and a 0x prefix are allowed)";

    /// <summary>
    /// A fresh serial: 16 random bytes, positive and without a leading zero byte. RFC 5280 4.1.2.2 allows up
    /// to 20 octets; CA/Browser Forum BR 7.1 asks for at least 64 bits from a CSPRNG, so serials cannot be guessed.
    /// </summary>
    public static byte[] NewRandom()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // Positive (top bit clear) and minimal (no 0x00 lead).
        return serial;
    }

    /// <summary>Formats DER content bytes as upper-case hex.</summary>
    public static string Format(ReadOnlySpan<byte> serial) => Convert.ToHexString(serial);

    /// <summary>
    /// Parses <paramref name="text"/> (hex, optional <c>0x</c>, optional colons) to its canonical form
    /// (upper-case, leading zero pairs dropped except one that keeps the value positive).
    /// </summary>
    public static bool TryParse(string text, out string canonical)
    {
        canonical = "";
        var hex = text.Trim().Replace(":", "", StringComparison.Ordinal);
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[2..];
        }

        if (hex.Length == 0 || hex.Length > 42 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        if (hex.Length % 2 == 1)
        {
            hex = "0" + hex;
        }

        // Drop redundant leading 00 octets (a DER INTEGER has none unless the next octet's top bit is set).
        while (hex.Length > 2 && hex.StartsWith("00", StringComparison.Ordinal)
            && int.Parse(hex.AsSpan(2, 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture) < 8)
        {
            hex = hex[2..];
        }

        canonical = hex.ToUpperInvariant();
        return true;
    }
}
