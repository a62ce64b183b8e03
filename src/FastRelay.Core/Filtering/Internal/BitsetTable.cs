using System.Runtime.InteropServices;

namespace FastRelay.Filtering;

/// <summary>
/// Interns fixed-size bitsets into one flat array, so that identical sets (the same rules match two
/// intervals, in one dimension or several) are stored once and a set is named by its offset. Each set is
/// stored as a block: <see cref="SummaryWords"/> words with one bit per non-zero data word, then the
/// <see cref="Stride"/> data words. Build-time only; not thread-safe.
/// </summary>
internal sealed class BitsetTable
{
    private readonly Dictionary<int, List<int>> _offsetsByHash = [];
    private readonly ulong[] _scratch;
    private ulong[] _words;
    private int _used;

    /// <summary>Creates a table of sets of <paramref name="bitCount"/> bits each.</summary>
    public BitsetTable(int bitCount)
    {
        Stride = (bitCount + 63) / 64;
        SummaryWords = (Stride + 63) / 64;
        _words = new ulong[Math.Max(BlockWords, 1) * 16];
        _scratch = new ulong[BlockWords];
    }

    /// <summary>Data words per set (one bit per rule); 0 when there are no rules.</summary>
    public int Stride { get; }

    /// <summary>Summary words per set, in front of the data words: bit j set when data word j is not zero.</summary>
    public int SummaryWords { get; }

    /// <summary>Words per stored block: <see cref="SummaryWords"/> + <see cref="Stride"/>.</summary>
    public int BlockWords => SummaryWords + Stride;

    /// <summary>How many distinct sets were interned.</summary>
    public int Count => BlockWords == 0 ? 0 : _used / BlockWords;

    /// <summary>The offset in <see cref="ToArray"/> of the block of a set equal to <paramref name="bits"/> (<see cref="Stride"/> words), added if new.</summary>
    public int Intern(ReadOnlySpan<ulong> bits)
    {
        Span<ulong> block = _scratch;
        block.Clear();
        for (var w = 0; w < bits.Length; w++)
        {
            if (bits[w] != 0) block[w >> 6] |= 1UL << w;
        }

        bits.CopyTo(block[SummaryWords..]);
        bits = block;
        var hash = Hash(bits);
        if (_offsetsByHash.TryGetValue(hash, out var candidates))
        {
            foreach (var offset in candidates)
            {
                if (_words.AsSpan(offset, BlockWords).SequenceEqual(bits))
                {
                    return offset;
                }
            }
        }
        else
        {
            _offsetsByHash[hash] = candidates = [];
        }

        if (_used + BlockWords > _words.Length)
        {
            Array.Resize(ref _words, _words.Length * 2);
        }

        var added = _used;
        bits.CopyTo(_words.AsSpan(added, BlockWords));
        _used += BlockWords;
        candidates.Add(added);
        return added;
    }

    /// <summary>Every interned set, back to back; trimmed to size.</summary>
    public ulong[] ToArray() => _words.AsSpan(0, _used).ToArray();

    private static int Hash(ReadOnlySpan<ulong> bits)
    {
        var hash = default(HashCode);
        hash.AddBytes(MemoryMarshal.AsBytes(bits));
        return hash.ToHashCode();
    }
}
