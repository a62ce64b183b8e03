using System.Runtime.CompilerServices;
using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// Picks the target of a new session from any candidate list (a route's static targets, a discovery answer),
/// as routing-contract.md "Weights" decides: equal weights → power-of-two-choices on outstanding sessions, ties
/// to the clearly lower connect-latency EWMA (else either); unequal weights → smooth weighted round-robin over
/// <c>weight / (1 + outstanding / weight)</c>. Down and ejected backends are skipped; when every candidate is, all are
/// candidates again (panic mode: a wrong health checker must not take the whole service down).
/// </summary>
/// <remarks>
/// Thread-safe. Allocation-free when the same list instance comes again (what is derived from a list is cached
/// by the instance, weakly: a discovery answer that is dropped takes its cache entry with it); a new instance
/// costs one small object. <see cref="Random"/> must be safe for concurrent use (<c>Random.Shared</c>).
/// </remarks>
public sealed class BackendPicker
{
    // Candidate lists longer than this take their scratch space from the heap (no route is that long in practice).
    private const int MaxStackCandidates = 256;

    private readonly ConditionalWeakTable<IReadOnlyList<TargetOptions>, CandidateSet> _sets = new();
    private readonly Random _random;

    /// <summary>A picker over <paramref name="registry"/>'s backend state.</summary>
    public BackendPicker(BackendRegistry registry, Random random)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(random);
        Registry = registry;
        _random = random;
    }

    /// <summary>The backend state picks are made on (and outcomes reported to).</summary>
    public BackendRegistry Registry { get; }

    /// <summary>
    /// The next target among <paramref name="candidates"/> other than the backends in <paramref name="exclude"/>
    /// (those a session has tried already: the retry asks for "the next one but these"). Not found only when
    /// every candidate is excluded. Does not count the session: the caller reports
    /// <see cref="BackendState.DialStarted"/> when it dials.
    /// </summary>
    public BackendPick Pick(IReadOnlyList<TargetOptions> candidates, ReadOnlySpan<TargetOptions> exclude = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            return default;
        }

        var set = SetFor(candidates);
        var n = set.Targets.Length;
        Span<int> eligible = n <= MaxStackCandidates ? stackalloc int[n] : new int[n];
        var now = 0L; // Read from the clock only if some candidate has an ejection on record.
        var count = 0;
        var remaining = 0;
        for (var i = 0; i < n; i++)
        {
            if (IsExcluded(set.Backends[i].Key, exclude))
            {
                continue;
            }

            remaining++;
            if (set.Backends[i].IsAvailable(ref now))
            {
                eligible[count++] = i;
            }
        }

        // Panic (all down or ejected: pick among all) only for a session's first pick: a retry after a failed dial
        // must not land on an ejected backend, nor report "every candidate is down" while the one just tried was up.
        var panic = count == 0 && remaining > 0 && exclude.IsEmpty;
        if (panic)
        {
            Registry.OnPanic(set);
            for (var i = 0; i < n; i++)
            {
                if (!IsExcluded(set.Backends[i].Key, exclude))
                {
                    eligible[count++] = i;
                }
            }
        }

        if (count == 0)
        {
            return default;
        }

        var chosen = set.EqualWeights ? LessLoadedOfTwo(set, eligible[..count], now) : set.NextWeighted(eligible[..count]);
        return new BackendPick(set.Targets[chosen], set.Backends[chosen], panic);
    }

    private int LessLoadedOfTwo(CandidateSet set, ReadOnlySpan<int> eligible, long now)
    {
        var (first, second) = PowerOfTwoChoices.Sample(eligible.Length, _random);
        var a = set.Backends[eligible[first]];
        var b = set.Backends[eligible[second]];
        var byLoad = a.Outstanding.CompareTo(b.Outstanding);
        if (byLoad == 0)
        {
            now = now != 0 ? now : Registry.Time.GetTimestamp();
            byLoad = CompareLatency(a.ConnectLatencyMsAt(now), b.ConnectLatencyMsAt(now));
        }

        // A tie either way: the first sample, itself random.
        return byLoad <= 0 ? eligible[first] : eligible[second];
    }

    /// <summary>
    /// Orders two connect-time EWMAs (milliseconds), counting them equal unless one is lower by more than
    /// <see cref="LatencyTieFraction"/> of the larger and by more than <see cref="LatencyTieFloorMs"/>: otherwise
    /// jitter of microseconds (loopback, one rack) would send every session of a quiet period to whichever backend
    /// happened to connect faster lately, instead of spreading them. A backend that is really slow to accept (or far
    /// away) is still told apart.
    /// </summary>
    internal static int CompareLatency(double a, double b)
    {
        var difference = Math.Abs(a - b);
        return difference <= Math.Max(a, b) * LatencyTieFraction || difference <= LatencyTieFloorMs ? 0 : a.CompareTo(b);
    }

    /// <summary>Connect-time EWMAs closer than this fraction of the larger one are a tie.</summary>
    internal const double LatencyTieFraction = 0.25;

    /// <summary>Connect-time EWMAs closer than this many milliseconds are a tie.</summary>
    internal const double LatencyTieFloorMs = 0.5;

    private CandidateSet SetFor(IReadOnlyList<TargetOptions> candidates)
    {
        if (_sets.TryGetValue(candidates, out var set))
        {
            return set;
        }

        // Two sessions meeting a new list at once may both build a set; the first one added is kept.
        set = new CandidateSet(candidates, Registry);
        return _sets.TryAdd(candidates, set) ? set : _sets.TryGetValue(candidates, out var other) ? other : set;
    }

    private static bool IsExcluded(BackendKey key, ReadOnlySpan<TargetOptions> exclude)
    {
        foreach (var target in exclude)
        {
            if (target is not null && key.Is(target))
            {
                return true;
            }
        }

        return false;
    }
}
