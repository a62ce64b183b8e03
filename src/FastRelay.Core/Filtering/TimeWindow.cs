namespace FastRelay.Filtering;

/// <summary>
/// When a rule applies (<c>TimeWindow</c>): on some days of the week, from <see cref="Start"/> to
/// <see cref="End"/> in local wall-clock time of <see cref="Zone"/>. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// A window whose end is not after its start crosses midnight and belongs to the day it starts on:
/// <c>Fri 22:00-06:00</c> covers Friday night and the early hours of Saturday, not of Friday. Local time
/// follows the zone's daylight-saving rules, so 08:00-20:00 stays 08:00-20:00 on the wall clock across a
/// change; in the skipped spring hour there is no local time to match, in the repeated autumn hour both
/// passes match.
/// </remarks>
internal sealed class TimeWindow
{
    /// <summary>Creates a window. <paramref name="days"/> is a bit per <see cref="DayOfWeek"/> (Sunday = bit 0).</summary>
    public TimeWindow(int days, TimeSpan start, TimeSpan end, TimeZoneInfo zone, string text)
    {
        ArgumentOutOfRangeException.ThrowIfZero(days & 0x7F);
        ArgumentOutOfRangeException.ThrowIfEqual(start, end);
        Days = days;
        Start = start;
        End = end;
        Zone = zone;
        Text = text;
    }

    /// <summary>The days the window starts on: bit <c>1 &lt;&lt; (int)DayOfWeek</c> per day.</summary>
    public int Days { get; }

    /// <summary>Start of the window, local time of day, inclusive.</summary>
    public TimeSpan Start { get; }

    /// <summary>End of the window, local time of day, exclusive; up to 24:00. Not after <see cref="Start"/>: crosses midnight.</summary>
    public TimeSpan End { get; }

    /// <summary>The zone whose wall clock <see cref="Start"/> and <see cref="End"/> are read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>The window as the user wrote it, for messages.</summary>
    public string Text { get; }

    /// <summary>True when <paramref name="time"/> falls in the window. Allocation-free.</summary>
    public bool Contains(DateTimeOffset time)
    {
        var local = TimeZoneInfo.ConvertTime(time, Zone);
        var clock = local.TimeOfDay;
        var day = (int)local.DayOfWeek;
        if (Start < End)
        {
            return HasDay(day) && clock >= Start && clock < End;
        }

        // Across midnight: the evening part is on a listed day, the morning part on the day after one.
        return (clock >= Start && HasDay(day)) || (clock < End && HasDay((day + 6) % 7));
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private bool HasDay(int day) => (Days & (1 << day)) != 0;
}
