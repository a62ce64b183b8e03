using FastRelay.Filtering;

namespace FastRelay.Filtering;

/// <summary>
/// One installed policy: its compiled rules, a hit counter per rule (and for the default deny), and, when
/// some of it is a dry run, the rules that are actually enforced.
/// </summary>
internal sealed class PolicySnapshot
{
    private readonly Dictionary<FilterRule, int> _ordinal = new(ReferenceEqualityComparer.Instance);
    private readonly FilterRule[] _rules;
    private readonly long[] _hits;

    public PolicySnapshot(CompiledRuleSet rules)
    {
        Rules = rules;
        var policy = rules.Policy;
        Enforced = !policy.HasDryRun ? rules : policy.DryRun ? null : new CompiledRuleSet(policy.WithoutDryRunGroups());
        _rules = [.. rules.Policy.Groups.SelectMany(g => g.Rules)];
        for (var i = 0; i < _rules.Length; i++)
        {
            _ordinal[_rules[i]] = i;
        }

        _hits = new long[_rules.Length + 1]; // The last slot counts the default deny.
    }

    /// <summary>The whole policy, dry-run groups included: what is logged and counted.</summary>
    public CompiledRuleSet Rules { get; }

    /// <summary>What is enforced: <see cref="Rules"/> without the dry-run groups, or null when the whole policy is a dry run.</summary>
    public CompiledRuleSet? Enforced { get; }

    /// <summary>Counts <paramref name="decision"/>; lock-free, allocation-free (a reference-keyed lookup).</summary>
    public void Count(in FilterDecision decision) =>
        Interlocked.Increment(ref _hits[decision.Rule is { } rule ? _ordinal[rule] : _rules.Length]);

    public Dictionary<string, long> Hits()
    {
        var hits = new Dictionary<string, long>(StringComparer.Ordinal) { ["default deny"] = Interlocked.Read(ref _hits[_rules.Length]) };
        for (var i = 0; i < _rules.Length; i++)
        {
            hits[_rules[i].Label] = Interlocked.Read(ref _hits[i]);
        }

        return hits;
    }
}
