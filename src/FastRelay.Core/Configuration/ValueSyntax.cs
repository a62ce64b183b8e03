using System.Globalization;

namespace FastRelay.Configuration;

/// <summary>
/// Parsers for the value syntaxes of cli.md: durations (<c>250ms</c>, <c>75s</c>, <c>5m</c>, <c>72h</c>) and
/// sizes (<c>64KiB</c>, <c>1MiB</c>, plain bytes). Pure and allocation-free on success.
/// </summary>
public static class ValueSyntax
{
    /// <summary>What a duration looks like, for error messages.</summary>
    public const string DurationExpected = "a duration such as 250ms, 75s, 5m or 72h";

    /// <summary>What a size looks like, for error messages.</summary>
    public const string SizeExpected = "a size such as 4096, 64KiB or 1MiB";

    /// <summary>
    /// Parses a non-negative duration: an integer or decimal followed by <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c>.
    /// A bare <c>0</c> is accepted (it means "off" where a flag allows it).
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        if (s is "0")
        {
            return true;
        }

        double unitMs;
        if (s.EndsWith("ms", StringComparison.OrdinalIgnoreCase)) { unitMs = 1; s = s[..^2]; }
        else if (s.EndsWith('s') || s.EndsWith('S')) { unitMs = 1000; s = s[..^1]; }
        else if (s.EndsWith('m') || s.EndsWith('M')) { unitMs = 60_000; s = s[..^1]; }
        else if (s.EndsWith('h') || s.EndsWith('H')) { unitMs = 3_600_000; s = s[..^1]; }
        else { return false; }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number < 0 || number * unitMs > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(number * unitMs);
        return true;
    }

    /// <summary>
    /// Parses a non-negative byte size: digits optionally followed by <c>B</c>, <c>KiB</c>, <c>MiB</c>, <c>GiB</c>
    /// (powers of 1024) or <c>KB</c>, <c>MB</c>, <c>GB</c> (powers of 1000), case-insensitive.
    /// </summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(s[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = s[digits..].Trim();
        long multiplier;
        if (unit.IsEmpty || unit.Equals("B", StringComparison.OrdinalIgnoreCase)) multiplier = 1;
        else if (unit.Equals("KiB", StringComparison.OrdinalIgnoreCase)) multiplier = 1L << 10;
        else if (unit.Equals("MiB", StringComparison.OrdinalIgnoreCase)) multiplier = 1L << 20;
        else if (unit.Equals("GiB", StringComparison.OrdinalIgnoreCase)) multiplier = 1L << 30;
        else if (unit.Equals("KB", StringComparison.OrdinalIgnoreCase)) multiplier = 1_000;
        else if (unit.Equals("MB", StringComparison.OrdinalIgnoreCase)) multiplier = 1_000_000;
        else if (unit.Equals("GB", StringComparison.OrdinalIgnoreCase)) multiplier = 1_000_000_000;
        else return false;

        if (number > long.MaxValue / multiplier)
        {
            return false;
        }

        bytes = number * multiplier;
        return true;
    }

    /// <summary>Formats a duration the way the parser reads it back (for --help and logs).</summary>
    public static string FormatDuration(TimeSpan value) =>
        value == TimeSpan.Zero ? "0"
        : value.TotalMilliseconds % 3_600_000 == 0 ? $"{value.TotalHours:0}h"
        : value.TotalMilliseconds % 60_000 == 0 ? $"{value.TotalMinutes:0}m"
        : value.TotalMilliseconds % 1000 == 0 ? $"{value.TotalSeconds:0}s"
        : $"{value.TotalMilliseconds:0}ms";
}
