using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// What the picker derives once from one candidate list instance: each target's <see cref="BackendState"/>,
/// whether the weights are all equal, and the smooth weighted round-robin counters. Cached by the list instance
/// (routing-contract.md: no allocation per pick when the same list comes again).
/// </summary>
/// <remarks>Thread-safe: the round-robin counters change under a lock held for one pass over the candidates.</remarks>
internal sealed class CandidateSet
{
    private readonly double[] _current;
    private readonly Lock _lock = new();

    public CandidateSet(IReadOnlyList<TargetOptions> targets, BackendRegistry registry)
    {
        Targets = [.. targets];
        Backends = [.. Targets.Select(registry.Get)];
        EqualWeights = Targets.All(t => t.Weight == Targets[0].Weight);
        _current = new double[Targets.Length];
    }

    public TargetOptions[] Targets { get; }

    public BackendState[] Backends { get; }

    /// <summary>True when every weight is the same: the picker uses P2C rather than weighted round-robin.</summary>
    public bool EqualWeights { get; }

    /// <summary>
    /// nginx's smooth weighted round-robin over the <paramref name="eligible"/> positions, with each target's
    /// effective weight <c>weight / (1 + outstanding / weight)</c>: the sessions it holds per unit of its weight. With
    /// no sessions overlapping it is exactly the configured split, spread evenly; with sessions overlapping, backends
    /// that hold them equally long hold them in the configured proportion, so the split stays the configured one
    /// (Envoy's <c>weight / (outstanding + 1)</c> settles at the square root of it, 2:1 for 4:1, when sessions are held
    /// open); a backend that holds its sessions longer than its share gets proportionally fewer new ones.
    /// </summary>
    public int NextWeighted(ReadOnlySpan<int> eligible)
    {
        lock (_lock)
        {
            var best = -1;
            var total = 0.0;
            foreach (var i in eligible)
            {
                double weight = Targets[i].Weight;
                var effective = weight * weight / (weight + Backends[i].Outstanding); // = weight / (1 + outstanding / weight), one division.
                _current[i] += effective;
                total += effective;
                if (best < 0 || _current[i] > _current[best])
                {
                    best = i;
                }
            }

            _current[best] -= total;
            return best;
        }
    }

    /// <summary>The candidates and their state, for the panic-mode log line.</summary>
    public string Describe() => string.Join(", ", Backends.Select(b => $"{b.Name} {(b.IsHealthy ? b.IsEjected ? "ejected" : "up" : "down")}"));
}
