namespace FastRelay.Filtering;

/// <summary>
/// The addresses a rule's <c>SourceIP</c> or <c>DestinationIP</c> covers: sorted, merged, disjoint ranges of
/// <see cref="AddressKey"/>s, with the text the user wrote for messages. Immutable and thread-safe.
/// </summary>
internal sealed class AddressSet
{
    private readonly AddressRange[] _ranges;

    /// <summary>Creates the set of <paramref name="ranges"/> (any order, overlaps allowed), shown as <paramref name="text"/>.</summary>
    public AddressSet(IEnumerable<AddressRange> ranges, string text)
    {
        _ranges = Merge(ranges);
        Text = text;
    }

    /// <summary>Every address: an absent <c>SourceIP</c>/<c>DestinationIP</c>.</summary>
    public static AddressSet Any { get; } = new([AddressRange.Everything], "any");

    /// <summary>The sorted, disjoint, non-adjacent ranges.</summary>
    public ReadOnlySpan<AddressRange> Ranges => _ranges;

    /// <summary>True when the set holds every address, so it constrains nothing.</summary>
    public bool IsAny => _ranges is [{ First: var f, Last: var l }] && f == UInt128.MinValue && l == UInt128.MaxValue;

    /// <summary>The addresses and set names as the user wrote them, or "any".</summary>
    public string Text { get; }

    /// <summary>True when <paramref name="key"/> is in the set. Binary search; allocation-free.</summary>
    public bool Contains(UInt128 key)
    {
        int low = 0, high = _ranges.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (key < _ranges[mid].First) high = mid - 1;
            else if (key > _ranges[mid].Last) low = mid + 1;
            else return true;
        }

        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static AddressRange[] Merge(IEnumerable<AddressRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.First).ToList();
        var merged = new List<AddressRange>(sorted.Count);
        foreach (var range in sorted)
        {
            // Adjacent ranges merge too (Last + 1 == First), guarding the overflow at the top of the space.
            if (merged.Count > 0 && (merged[^1].Last == UInt128.MaxValue || merged[^1].Last + 1 >= range.First))
            {
                if (range.Last > merged[^1].Last)
                {
                    merged[^1] = merged[^1] with { Last = range.Last };
                }
            }
            else
            {
                merged.Add(range);
            }
        }

        return [.. merged];
    }
}
