namespace FastRelay.Diagnostics.Prometheus;

/// <summary>
/// The tag values of one measurement (up to four, in the order the recorder gives them): the key of a
/// series. A struct of references, compared by value: looking a series up allocates nothing.
/// </summary>
internal readonly struct TagKey : IEquatable<TagKey>
{
    /// <summary>The most tags a FastRelay instrument records (<c>fastrelay.decisions</c> has four).</summary>
    public const int MaxTags = 4;

    private readonly object? _a;
    private readonly object? _b;
    private readonly object? _c;
    private readonly object? _d;
    private readonly int _count;

    public TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _count = Math.Min(tags.Length, MaxTags);
        _a = _count > 0 ? tags[0].Value : null;
        _b = _count > 1 ? tags[1].Value : null;
        _c = _count > 2 ? tags[2].Value : null;
        _d = _count > 3 ? tags[3].Value : null;
    }

    public bool Equals(TagKey other) =>
        _count == other._count && Equals(_a, other._a) && Equals(_b, other._b) && Equals(_c, other._c) && Equals(_d, other._d);

    public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_count, _a, _b, _c, _d);
}
