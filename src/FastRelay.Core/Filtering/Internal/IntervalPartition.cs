namespace FastRelay.Filtering;

/// <summary>
/// One dimension of the compiled matcher: the value space [0, max] cut into intervals at every rule range
/// boundary, so that inside one interval every value is matched by exactly the same rules, and each interval
/// mapped to the interned bitset of those rules. A lookup is a binary search for the interval.
/// </summary>
/// <param name="Starts">The first value of each interval, ascending; <c>Starts[0]</c> is 0.</param>
/// <param name="Offsets">Per interval, the offset of its rule bitset in the <see cref="BitsetTable"/>.</param>
internal sealed record IntervalPartition(UInt128[] Starts, int[] Offsets)
{
    /// <summary>
    /// Builds the partition of [0, <paramref name="max"/>] for <paramref name="ranges"/>: per rule (its bit
    /// index), disjoint and non-adjacent inclusive ranges. O((ranges + intervals) x stride).
    /// </summary>
    public static IntervalPartition Build(UInt128 max, IReadOnlyList<(int Rule, UInt128 First, UInt128 Last)> ranges, BitsetTable table)
    {
        // 1. Every range start and every value just past a range end begins an interval.
        var boundaries = new SortedSet<UInt128> { UInt128.Zero };
        foreach (var (_, first, last) in ranges)
        {
            boundaries.Add(first);
            if (last < max) boundaries.Add(last + 1);
        }

        var starts = boundaries.ToArray();

        // 2. A range switches its rule's bit on at its first interval and off after its last one.
        var events = new List<(int Interval, int Rule, bool On)>(ranges.Count * 2);
        foreach (var (rule, first, last) in ranges)
        {
            events.Add((Array.BinarySearch(starts, first), rule, true));
            if (last < max) events.Add((Array.BinarySearch(starts, last + 1), rule, false));
        }

        events.Sort((a, b) => a.Interval != b.Interval ? a.Interval.CompareTo(b.Interval) : a.On.CompareTo(b.On));

        // 3. Sweep the intervals in order, interning the bitset of each; merge neighbours with equal sets.
        var current = new ulong[table.Stride];
        var next = 0;
        List<UInt128> keptStarts = [];
        List<int> keptOffsets = [];
        for (var i = 0; i < starts.Length; i++)
        {
            for (; next < events.Count && events[next].Interval == i; next++)
            {
                var (_, rule, on) = events[next];
                if (on) current[rule >> 6] |= 1UL << rule;
                else current[rule >> 6] &= ~(1UL << rule);
            }

            var offset = table.Intern(current);
            if (keptOffsets.Count == 0 || keptOffsets[^1] != offset)
            {
                keptStarts.Add(starts[i]);
                keptOffsets.Add(offset);
            }
        }

        return new IntervalPartition([.. keptStarts], [.. keptOffsets]);
    }

    /// <summary>The bitset offset for <paramref name="value"/>. Allocation-free, O(log intervals).</summary>
    public int Find(UInt128 value)
    {
        // The last interval whose start is at or below the value; Starts[0] == 0 so there always is one.
        var starts = Starts;
        int low = 0, high = starts.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) >>> 1;
            if (starts[mid] <= value) low = mid;
            else high = mid - 1;
        }

        return Offsets[low];
    }
}
