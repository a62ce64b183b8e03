using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// Picks the next target of a route in weighted round-robin order, without locks or allocation.
/// </summary>
/// <remarks>
/// The order is computed once with nginx's smooth weighted round-robin (weights 5,1,1 give
/// a a b a c a a, not a a a a a b c), so a cursor over a fixed schedule is all a pick costs: one
/// <see cref="Interlocked.Increment(ref long)"/>. Thread-safe.
/// </remarks>
public sealed class TargetSelector
{
    private readonly TargetOptions[] _schedule;
    private long _cursor = -1;

    /// <summary>Builds the schedule for <paramref name="targets"/> (at least one).</summary>
    public TargetSelector(IReadOnlyList<TargetOptions> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfZero(targets.Count);
        Targets = targets;
        _schedule = BuildSmoothSchedule(targets);
    }

    /// <summary>The targets in configuration order.</summary>
    public IReadOnlyList<TargetOptions> Targets { get; }

    /// <summary>
    /// The next target to try first; a caller that fails over tries the other <see cref="Targets"/> after it.
    /// </summary>
    public TargetOptions Next() => _schedule[(int)((ulong)Interlocked.Increment(ref _cursor) % (ulong)_schedule.Length)];

    private static TargetOptions[] BuildSmoothSchedule(IReadOnlyList<TargetOptions> targets)
    {
        var total = targets.Sum(t => t.Weight);
        var current = new int[targets.Count];
        var schedule = new TargetOptions[total];
        for (var slot = 0; slot < total; slot++)
        {
            var best = 0;
            for (var i = 0; i < targets.Count; i++)
            {
                current[i] += targets[i].Weight;
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[slot] = targets[best];
        }

        return schedule;
    }
}
