using System.Globalization;

namespace FastRelay.Configuration;

/// <summary>
/// Parsers for the rate syntaxes of cli.md: event rates (<c>100/s</c>, <c>5000/m</c>, <c>10/h</c>) for
/// <c>--conn-rate</c>, and bandwidths (<c>10MiB/s</c>, <c>500KB/s</c>) for <c>--bandwidth</c>, whose size part
/// is <see cref="ValueSyntax.TryParseSize"/>'s. Pure; allocation-free except for one substring per bandwidth.
/// </summary>
public static class RateSyntax
{
    /// <summary>What a rate looks like, for error messages.</summary>
    public const string RateExpected = "a rate such as 100/s, 5000/m or 10/h";

    /// <summary>What a bandwidth looks like, for error messages.</summary>
    public const string BandwidthExpected = "a bandwidth such as 500KB/s or 10MiB/s";

    /// <summary>
    /// Parses a non-negative rate: an integer or decimal, <c>/</c>, then <c>s</c>, <c>m</c> or <c>h</c>
    /// (case-insensitive), into events per second. A bare <c>0</c> is accepted (it means "off" where a flag
    /// allows it); callers check that the rate is positive where it must be.
    /// </summary>
    public static bool TryParseRate(string? text, out double perSecond)
    {
        perSecond = 0;
        if (!TrySplit(text, out var s, out var slash))
        {
            return s is "0"; // "0" is off; anything else without a "/" is malformed.
        }

        double unitSeconds;
        var unit = s[(slash + 1)..].Trim();
        if (unit.Equals("s", StringComparison.OrdinalIgnoreCase)) unitSeconds = 1;
        else if (unit.Equals("m", StringComparison.OrdinalIgnoreCase)) unitSeconds = 60;
        else if (unit.Equals("h", StringComparison.OrdinalIgnoreCase)) unitSeconds = 3600;
        else return false;

        // AllowDecimalPoint only: no sign, no exponent, no thousands separators (the same as durations).
        if (!double.TryParse(s[..slash].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var count)
            || !double.IsFinite(count))
        {
            return false;
        }

        perSecond = count / unitSeconds;
        return true;
    }

    /// <summary>
    /// Parses a non-negative bandwidth: a size as <see cref="ValueSyntax.TryParseSize"/> reads it, then
    /// <c>/s</c>, into bytes per second. A bare <c>0</c> is accepted (it means "off").
    /// </summary>
    public static bool TryParseBandwidth(string? text, out long bytesPerSecond)
    {
        bytesPerSecond = 0;
        if (!TrySplit(text, out var s, out var slash))
        {
            return s is "0";
        }

        if (!s[(slash + 1)..].Trim().Equals("s", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // TryParseSize takes a string; this runs once at startup, so the substring is no concern.
        return ValueSyntax.TryParseSize(s[..slash].ToString(), out bytesPerSecond);
    }

    // Trims the text and finds its "/"; false (with the trimmed text) when there is none.
    private static bool TrySplit(string? text, out ReadOnlySpan<char> trimmed, out int slash)
    {
        trimmed = text.AsSpan().Trim();
        slash = trimmed.IndexOf('/');
        return slash >= 0;
    }
}
