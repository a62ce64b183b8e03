using System.Globalization;

namespace FastRelay.Configuration;

/// <summary>
/// Reads single-valued settings (durations, integers, sizes, enum names), adding a
/// <see cref="ConfigError"/> for each bad value and returning the default in its place so that reading
/// goes on and every error is reported at once.
/// </summary>
internal sealed class ScalarReader(IReadOnlyList<RawSetting> settings, List<ConfigError> errors)
{
    /// <summary>
    /// The longest duration a flag takes: .NET's timers and timed waits (Task.Delay, WaitAsync, Timer) refuse more
    /// than 2^32-2 ms (49.7 days) with an exception, which a flag must not reach at shutdown or on its first use.
    /// </summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(49);

    public TimeSpan Duration(string name, TimeSpan fallback, bool allowZero)
    {
        if (Find(name) is not { } s)
        {
            return fallback;
        }

        if (!ValueSyntax.TryParseDuration(s.Value, out var value) || (!allowZero && value == TimeSpan.Zero))
        {
            errors.Add(new ConfigError(s.Origin, s.Value, allowZero ? $"expected {ValueSyntax.DurationExpected}, or 0 for off" : $"expected {ValueSyntax.DurationExpected}, greater than zero"));
            return fallback;
        }

        if (value > MaxDuration)
        {
            errors.Add(new ConfigError(s.Origin, s.Value, $"expected {ValueSyntax.DurationExpected}, at most 1176h (49 days)"));
            return fallback;
        }

        return value;
    }

    /// <summary>A switch: absent is false; <c>true</c>/<c>false</c> (the parser fills in true for a bare flag).</summary>
    public bool Switch(string name)
    {
        if (Find(name) is not { } s)
        {
            return false;
        }

        if (bool.TryParse(s.Value, out var value))
        {
            return value;
        }

        errors.Add(new ConfigError(s.Origin, s.Value, "expected true or false"));
        return false;
    }

    /// <summary>A path or name; null when not given. An empty value is an error, not "off": <c>--handoff ""</c> from an unset
    /// shell variable would otherwise start an edge without the feature its script asked for.</summary>
    public string? Text(string name)
    {
        if (Find(name) is not { } s)
        {
            return null;
        }

        if (s.Value.Length == 0)
        {
            errors.Add(new ConfigError(s.Origin, s.Value, "expected a value, not an empty one (leave the setting out for its default)"));
            return null;
        }

        return s.Value;
    }

    public long Integer(string name, long fallback, long min, long max)
    {
        if (Find(name) is not { } s)
        {
            return fallback;
        }

        if (!long.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add(new ConfigError(s.Origin, s.Value, $"expected a whole number from {min} to {max}"));
            return fallback;
        }

        return value;
    }

    public long Size(string name, long fallback, long min, long max)
    {
        if (Find(name) is not { } s)
        {
            return fallback;
        }

        if (!ValueSyntax.TryParseSize(s.Value, out var value) || value < min || value > max)
        {
            errors.Add(new ConfigError(s.Origin, s.Value, $"expected {ValueSyntax.SizeExpected}, from {min} to {max} bytes"));
            return fallback;
        }

        return value;
    }

    public TEnum Enum<TEnum>(string name, TEnum fallback)
        where TEnum : struct, Enum
    {
        if (Find(name) is not { } s)
        {
            return fallback;
        }

        // A name, matched whole: Enum.TryParse also takes numbers ("3", "-1", " +5") and lists ("a,b"), and only the
        // names are part of the documented surface.
        if (System.Enum.GetNames<TEnum>().FirstOrDefault(n => n.Equals(s.Value, StringComparison.OrdinalIgnoreCase)) is not { } known
            || !System.Enum.TryParse<TEnum>(known, out var value))
        {
            var names = string.Join("|", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
            errors.Add(new ConfigError(s.Origin, s.Value, $"expected one of {names}"));
            return fallback;
        }

        return value;
    }

    /// <summary>The last occurrence of <paramref name="name"/>: repeats were already reported as errors by the caller.</summary>
    public RawSetting? Find(string name) => settings.LastOrDefault(s => s.Name == name);
}
