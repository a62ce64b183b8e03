namespace FastRelay.Hosting;

/// <summary>A refused reload's errors in POST /reload's answer: the first few, each on its own, the rest counted.</summary>
internal static class ReloadErrors
{
    // An answer, not a log: a policy with a thousand bad rules must not make a megabyte of JSON.
    private const int Shown = 5;

    /// <summary>"e1; e2; ...; and N more (all in the log)", or "errors in the log" when there are none to show.</summary>
    public static string Join(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            return "errors in the log";
        }

        var shown = string.Join("; ", errors.Take(Shown));
        return errors.Count <= Shown ? shown : $"{shown}; and {errors.Count - Shown} more (all in the log)";
    }
}
