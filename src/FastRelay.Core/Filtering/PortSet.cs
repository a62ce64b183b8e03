using System.Globalization;

namespace FastRelay.Filtering;

/// <summary>
/// The destination ports of a rule (<c>PortRange</c>): <c>"443"</c>, <c>"80,443"</c>, <c>"8000-8100"</c>, mixes
/// of those, or <c>"*"</c>. Sorted, merged ranges; immutable and thread-safe.
/// </summary>
internal sealed class PortSet
{
    /// <summary>What a port list looks like, for error messages.</summary>
    public const string Expected = "expected ports such as \"443\", \"80,443\", \"8000-8100\" or \"*\", each from 1 to 65535";

    /// <summary>The highest port number.</summary>
    public const int MaxPort = 65535;

    private readonly PortRange[] _ranges;

    private PortSet(PortRange[] ranges, string text)
    {
        _ranges = ranges;
        Text = text;
    }

    /// <summary>Every port: an absent <c>PortRange</c> or <c>"*"</c>.</summary>
    public static PortSet Any { get; } = new([new PortRange(0, MaxPort)], "*");

    /// <summary>The sorted, disjoint, non-adjacent ranges.</summary>
    public ReadOnlySpan<PortRange> Ranges => _ranges;

    /// <summary>True when every port is in the set.</summary>
    public bool IsAny => _ranges is [{ First: 0, Last: MaxPort }];

    /// <summary>The ports as the user wrote them, or "*".</summary>
    public string Text { get; }

    /// <summary>True when <paramref name="port"/> is in the set. Allocation-free.</summary>
    public bool Contains(int port)
    {
        foreach (var range in _ranges)
        {
            if (port < range.First) return false;
            if (port <= range.Last) return true;
        }

        return false;
    }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> names the bad part.</summary>
    public static bool TryParse(string text, out PortSet set, out string error)
    {
        set = Any;
        if (text.Trim() == "*")
        {
            error = "";
            return true;
        }

        // Every bad entry is named at once ("0,70000": both), as every other input error is (cli.md).
        var ranges = new List<PortRange>();
        var malformed = new List<string>();
        var explained = new List<string>(); // Entries that parse but cannot be, each with its own words.
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (part == "*")
            {
                // Not "expected ... or \"*\"" for the very thing given: it is the list around it that is wrong.
                explained.Add("'*' means every port and stands alone: give \"*\" by itself, or list the ports without it");
            }
            else if (!TryParsePort(dash >= 0 ? part[..dash] : part, out var first)
                || !TryParsePort(dash >= 0 ? part[(dash + 1)..] : part, out var last))
            {
                malformed.Add(part.Length == 0 ? "an empty entry" : $"'{part}'");
            }
            else if (last < first)
            {
                explained.Add($"'{part}': a range goes from low to high, as {last}-{first}");
            }
            else
            {
                ranges.Add(new PortRange(first, last));
            }
        }

        if (malformed.Count > 0 || explained.Count > 0)
        {
            error = string.Join("; ", (malformed.Count > 0 ? [$"{string.Join(", ", malformed)}: {Expected}"] : Array.Empty<string>()).Concat(explained));
            return false;
        }

        set = new PortSet(Merge(ranges), text.Trim());
        error = "";
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= MaxPort;

    private static PortRange[] Merge(List<PortRange> ranges)
    {
        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        var merged = new List<PortRange>(ranges.Count);
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && merged[^1].Last + 1 >= range.First)
            {
                merged[^1] = merged[^1] with { Last = Math.Max(merged[^1].Last, range.Last) };
            }
            else
            {
                merged.Add(range);
            }
        }

        return [.. merged];
    }
}
