using System.Globalization;

namespace FastRelay.Filtering;

/// <summary>Parses the parts of a <c>TimeWindow</c>: <c>Days</c>, <c>Start</c>/<c>End</c> and <c>TimeZone</c>.</summary>
internal static class TimeWindowSyntax
{
    /// <summary>Every day of the week, as a <see cref="TimeWindow.Days"/> mask.</summary>
    public const int EveryDay = 0x7F;

    /// <summary>What <c>Days</c> looks like, for error messages.</summary>
    public const string DaysExpected = "expected days such as \"Mon-Fri\", \"Sat,Sun\", \"Mon-Wed,Fri\" or \"*\"";

    /// <summary>What a clock time looks like, for error messages.</summary>
    public const string ClockExpected = "expected a time of day HH:mm from 00:00 to 24:00, such as \"08:00\"";

    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>Parses <c>Mon-Fri</c>, <c>Sat,Sun</c>, <c>Fri-Mon</c> (wraps), full names, or <c>*</c>, case-insensitive.</summary>
    public static bool TryParseDays(string text, out int days)
    {
        days = 0;
        if (text.Trim() == "*")
        {
            days = EveryDay;
            return true;
        }

        foreach (var raw in text.Split(','))
        {
            var dash = raw.IndexOf('-', StringComparison.Ordinal);
            if (!TryParseDay(dash >= 0 ? raw[..dash] : raw, out var first) || !TryParseDay(dash >= 0 ? raw[(dash + 1)..] : raw, out var last))
            {
                return false;
            }

            for (var day = first; ; day = (day + 1) % 7)
            {
                days |= 1 << day;
                if (day == last) break;
            }
        }

        return days != 0;
    }

    /// <summary>Parses <c>HH:mm</c> (00:00 to 24:00).</summary>
    public static bool TryParseClock(string text, out TimeSpan clock)
    {
        clock = default;
        var parts = text.Trim().Split(':');
        if (parts.Length != 2 || parts[0].Length is < 1 or > 2 || parts[1].Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
        {
            return false;
        }

        clock = new TimeSpan(hours, minutes, 0);
        return true;
    }

    /// <summary>Finds an IANA zone (<c>Asia/Shanghai</c>) or <c>UTC</c>; the host's tzdata provides them.</summary>
    public static bool TryFindZone(string id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        return id.Length > 0 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
    }

    private static bool TryParseDay(string text, out int day)
    {
        var name = text.Trim().ToLowerInvariant();
        day = Array.FindIndex(DayNames, d => name.Length >= 3 && (name == d || (d + DayNameTail(d)).StartsWith(name, StringComparison.Ordinal)));
        return day >= 0;
    }

    // "mon" + "day", "tue" + "sday", ...: full names and any prefix of at least three letters are accepted.
    private static string DayNameTail(string shortName) => shortName switch
    {
        "tue" => "sday",
        "wed" => "nesday",
        "thu" => "rsday",
        "sat" => "urday",
        _ => "day",
    };
}
