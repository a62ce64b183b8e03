namespace FastRelay.Filtering;

/// <summary>
/// A validated policy: its groups and IP sets, and per checkpoint the rules in evaluation order. Immutable
/// and thread-safe, so a reload can swap a whole new one in behind a single reference.
/// </summary>
internal sealed class SecurityPolicy
{
    private readonly FilterRule[] _inbound;
    private readonly FilterRule[] _outbound;

    /// <summary>Creates a policy from validated groups and sets.</summary>
    public SecurityPolicy(IReadOnlyList<SecurityGroup> groups, IReadOnlyDictionary<string, AddressSet> ipSets)
    {
        Groups = groups;
        IpSets = ipSets;
        _inbound = Order(groups, FilterDirection.Inbound);
        _outbound = Order(groups, FilterDirection.Outbound);
    }

    /// <summary><c>"DryRun": true</c> at the top: nothing is enforced; every decision is logged and counted.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool DryRun { get; init; }

    /// <summary>True when the whole policy or any group is a dry run.</summary>
    public bool HasDryRun => DryRun || Groups.Any(g => g.DryRun);

    /// <summary>The policy without its dry-run groups: what is enforced while they are being tried out.</summary>
    public SecurityPolicy WithoutDryRunGroups() => new([.. Groups.Where(g => !g.DryRun)], IpSets);

    /// <summary>
    /// What the relay enforces: this policy, or without its dry-run groups; null when the whole file is a dry run
    /// (nothing enforced). The one place that says so, for the relay (PolicySnapshot) and <c>policy explain</c>.
    /// </summary>
    public SecurityPolicy? Enforced() => DryRun ? null : HasDryRun ? WithoutDryRunGroups() : this;

    /// <summary>The groups in file order.</summary>
    public IReadOnlyList<SecurityGroup> Groups { get; }

    /// <summary>The IP sets by name (case-insensitive).</summary>
    public IReadOnlyDictionary<string, AddressSet> IpSets { get; }

    /// <summary>
    /// The rules of <paramref name="direction"/> in evaluation order (policy-format.md, "Evaluation"):
    /// by Priority, Deny before Allow at equal priority, then in file order (group, then rule).
    /// </summary>
    public ReadOnlySpan<FilterRule> RulesInOrder(FilterDirection direction) =>
        direction == FilterDirection.Inbound ? _inbound : _outbound;

    private static FilterRule[] Order(IReadOnlyList<SecurityGroup> groups, FilterDirection direction) =>
        [.. groups.SelectMany(g => g.Rules)
            .Where(r => r.Direction == direction)
            .OrderBy(r => r.Priority)
            .ThenBy(r => r.Action == FilterAction.Deny ? 0 : 1)
            .ThenBy(r => r.GroupIndex)
            .ThenBy(r => r.RuleIndex)];
}
