using FastRelay.Filtering;

namespace FastRelay.Filtering;

/// <summary>
/// One installed policy: its compiled rules, a hit counter per rule (and for the default deny), and, when
/// some of it is a dry run, the rules that are actually enforced.
/// </summary>
internal sealed class PolicySnapshot
{
    private readonly int[] _groupOffset;
    private readonly FilterRule[] _rules;
    private readonly long[] _hits;

    public PolicySnapshot(CompiledRuleSet rules)
    {
        Rules = rules;
        var policy = rules.Policy;
        Enforced = policy.Enforced() is not { } enforced ? null : ReferenceEquals(enforced, policy) ? rules : new CompiledRuleSet(enforced);
        _rules = [.. policy.Groups.SelectMany(g => g.Rules)];

        // A rule's counter is its group's offset plus its index in the group: two array reads per decision.
        _groupOffset = new int[policy.Groups.Count];
        for (int g = 0, offset = 0; g < _groupOffset.Length; offset += policy.Groups[g].Rules.Count, g++)
        {
            _groupOffset[g] = offset;
        }

        _hits = new long[_rules.Length + 1]; // The last slot counts the default deny.
    }

    /// <summary>The whole policy, dry-run groups included: what is logged and counted.</summary>
    public CompiledRuleSet Rules { get; }

    /// <summary>What is enforced: <see cref="Rules"/> without the dry-run groups, or null when the whole policy is a dry run.</summary>
    public CompiledRuleSet? Enforced { get; }

    /// <summary>Counts <paramref name="decision"/>; lock-free and allocation-free.</summary>
    public void Count(in FilterDecision decision) =>
        Interlocked.Increment(ref _hits[decision.Rule is { } rule ? _groupOffset[rule.GroupIndex] + rule.RuleIndex : _rules.Length]);

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
