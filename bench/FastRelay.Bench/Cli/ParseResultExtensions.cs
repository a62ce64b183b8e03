using System.CommandLine;

namespace FastRelay.Bench.Cli;

/// <summary>
/// Reading option values without throwing. <see cref="ParseResult.GetValue{T}(Option{T})"/> throws when the
/// parser already found a problem with that option (such as <c>--sessions 5 --sessions 6</c>); that problem is
/// in <see cref="ParseResult.Errors"/> already, so the binder just skips the value and lists everything once.
/// </summary>
internal static class ParseResultExtensions
{
    /// <summary>The option's value (or default); false when the parser already reported a problem with it.</summary>
    public static bool TryGetValue<T>(this ParseResult parse, Option<T> option, out T? value)
    {
        try
        {
            value = parse.GetValue(option);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default; // Already in parse.Errors; see the type's summary.
            return false;
        }
    }

    /// <summary>The option's value, or default when absent or already reported as bad.</summary>
    public static T? ValueOrDefault<T>(this ParseResult parse, Option<T> option) =>
        parse.TryGetValue(option, out var value) ? value : default;

    /// <summary>
    /// A whole-number option checked against min..max: its value, or the default with an error added when it is out of
    /// range; when the parser already refused the value (not a number), the default and no second error.
    /// </summary>
    public static int Range(this ParseResult parse, Option<int> option, int min, int max, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var value))
        {
            return min;
        }

        if (value < min || value > max)
        {
            errors.Add($"{option.Name}: expected {min}..{max} (got {value})");
        }

        return value;
    }
}
