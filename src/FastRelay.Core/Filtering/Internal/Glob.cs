namespace FastRelay.Filtering;

/// <summary>Wildcard matching with <c>*</c> only, iterative and allocation-free (no regex on the accept path).</summary>
internal static class Glob
{
    /// <summary>
    /// True when <paramref name="text"/> matches <paramref name="pattern"/>. With <paramref name="stopAtDot"/>,
    /// a <c>*</c> never matches a '.'.
    /// </summary>
    public static bool Matches(string pattern, string text, bool ignoreCase, bool stopAtDot)
    {
        // Greedy with one backtrack point (the last '*'), the classic linear-time wildcard algorithm.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && Same(pattern[p], text[t], ignoreCase))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0 && !(stopAtDot && text[mark] == '.'))
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
