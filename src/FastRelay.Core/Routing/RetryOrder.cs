using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// Which target a failed session tries next: the seam between the dial loop's retry policy (how often, which
/// failures) and the picker (which target). Today the order is the route's own, starting after the first pick, so
/// retries spread over the route rather than all landing on its first target; a load-aware picker replaces
/// <see cref="Next"/> without touching the loop.
/// </summary>
/// <remarks>Pure and allocation-free; thread-safe (no state).</remarks>
public static class RetryOrder
{
    /// <summary>
    /// The <paramref name="retry"/>-th target (1 = the first retry) to try after <paramref name="first"/> failed: a
    /// different backend each time — (Host, Port, ViaTunnel) never repeats, so a target listed twice is tried once —
    /// or null when the route has no more.
    /// </summary>
    public static TargetOptions? Next(IReadOnlyList<TargetOptions> candidates, TargetOptions first, int retry)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var start = IndexOf(candidates, first);
        var found = 0;
        for (var step = 1; step < candidates.Count + (start < 0 ? 1 : 0); step++)
        {
            var index = (start + step) % candidates.Count;
            var candidate = candidates[index];
            if (SameBackend(candidate, first) || SeenEarlier(candidates, start, step, candidate))
            {
                continue;
            }

            if (++found == retry)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>True when both name the same backend: a target's identity is (Host, Port, ViaTunnel); the weight is not part of it.</summary>
    public static bool SameBackend(TargetOptions a, TargetOptions b) =>
        a.Port == b.Port && a.ViaTunnel == b.ViaTunnel && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    private static int IndexOf(IReadOnlyList<TargetOptions> candidates, TargetOptions first)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (ReferenceEquals(candidates[i], first) || SameBackend(candidates[i], first))
            {
                return i;
            }
        }

        return -1; // Not in the list (a picker may hand out a target of an older list): start at the top.
    }

    private static bool SeenEarlier(IReadOnlyList<TargetOptions> candidates, int start, int step, TargetOptions candidate)
    {
        for (var earlier = 1; earlier < step; earlier++)
        {
            if (SameBackend(candidates[(start + earlier) % candidates.Count], candidate))
            {
                return true;
            }
        }

        return false;
    }
}
