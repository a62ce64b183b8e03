using System.Globalization;
using System.Net;

namespace FastRelay.Bench.Cli;

/// <summary>
/// Parses the human-friendly values the command line takes: durations (<c>500ms</c>, <c>5s</c>, <c>2m</c>),
/// byte sizes (<c>64</c>, <c>64KiB</c>, <c>256MiB</c>, <c>1GB</c>) and <c>IP:PORT</c> endpoints.
/// </summary>
/// <remarks>
/// Every method is a pure <c>TryX</c>: it returns false on bad input so the binder can collect all errors
/// before reporting them (house style H5.1).
/// </remarks>
internal static class UnitParser
{
    // Longest suffixes first so "ms" is not read as "m" + garbage and "MiB" not as "M".
    private static readonly (string Suffix, double Seconds)[] DurationUnits =
        [("ms", 0.001), ("us", 0.000_001), ("s", 1), ("m", 60), ("h", 3600)];

    private static readonly (string Suffix, long Bytes)[] SizeUnits =
        [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)];

    /// <summary>Parses <c>NUMBER[ms|us|s|m|h]</c>; a bare number is seconds. Negative values are rejected.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var (number, scale) = SplitUnit(text.Trim(), DurationUnits, 1.0);
        if (scale is null || !TryParseNonNegative(number, out var amount))
        {
            return false;
        }

        var seconds = amount * scale.Value;
        if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Parses <c>NUMBER[B|KiB|MiB|GiB|KB|MB|GB]</c> (case-insensitive); a bare number is bytes.</summary>
    public static bool TryParseBytes(string? text, out long value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var (number, scale) = SplitUnit(text.Trim(), SizeUnits, 1L);
        if (scale is null || !TryParseNonNegative(number, out var amount) || amount * scale.Value >= long.MaxValue)
        {
            return false;
        }

        value = (long)(amount * scale.Value);
        return true;
    }

    /// <summary>Parses a positive whole number such as a session or stream count.</summary>
    public static bool TryParseCount(string? text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses <c>IPv4:PORT</c> or <c>[IPv6]:PORT</c>; host names are not resolved, on purpose (no DNS in a benchmark).</summary>
    public static bool TryParseEndPoint(string? text, out IPEndPoint value)
    {
        value = null!;
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out var parsed))
        {
            return false;
        }

        // IPEndPoint.TryParse accepts a bare address with port 0; a bench target needs an explicit port.
        var hasPort = text.LastIndexOf(':') > text.LastIndexOf(']');
        if (!hasPort)
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static (string Number, T? Scale) SplitUnit<T>(string text, (string Suffix, T Scale)[] units, T bare)
        where T : struct
    {
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return (text[..^suffix.Length].TrimEnd(), scale);
            }
        }

        return char.IsAsciiDigit(text[^1]) ? (text, bare) : (text, null);
    }

    private static bool TryParseNonNegative(string number, out double amount) =>
        double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount)
        && amount >= 0 && double.IsFinite(amount);

    /// <summary>Formats a duration the way <see cref="TryParseDuration"/> reads it: <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
    public static string FormatDuration(TimeSpan value) => value switch
    {
        { TotalMinutes: >= 1 } when value.TotalMinutes % 1 == 0 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes}m"),
        { TotalSeconds: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms"),
    };

    /// <summary>Formats a size the way <see cref="TryParseBytes"/> reads it, in the largest exact binary unit.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}MiB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10}KiB",
        _ => $"{bytes}B",
    };
}
