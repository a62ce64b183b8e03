using FastRelay.Configuration;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// Two target lists are the same answer when they list equal targets in the same order: a refresh that brings the
/// same answer keeps the cached instance, so whatever a picker derived from it (keyed by instance) stays valid.
/// </summary>
internal sealed class TargetListComparer : IEqualityComparer<IReadOnlyList<TargetOptions>>
{
    public static readonly TargetListComparer Instance = new();

    public bool Equals(IReadOnlyList<TargetOptions>? x, IReadOnlyList<TargetOptions>? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Count != y.Count)
        {
            return false;
        }

        for (var i = 0; i < x.Count; i++)
        {
            if (!x[i].Equals(y[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Consistent with <see cref="Equals(IReadOnlyList{TargetOptions}?, IReadOnlyList{TargetOptions}?)"/>: the cache interns answers by it.</summary>
    public int GetHashCode(IReadOnlyList<TargetOptions> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var hash = new HashCode();
        for (var i = 0; i < obj.Count; i++)
        {
            hash.Add(obj[i]);
        }

        return hash.ToHashCode();
    }
}
