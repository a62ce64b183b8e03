namespace FastRelay.Filtering;

/// <summary>A named group of rules, as written in <c>SecurityGroups</c>.</summary>
/// <param name="Name">Unique (case-insensitively) across the policy.</param>
/// <param name="Direction">The group's <c>Direction</c>, or null when its rules give or infer their own.</param>
/// <param name="Rules">The rules in file order; <see cref="FilterRule.RuleIndex"/> is the position here.</param>
internal sealed record SecurityGroup(string Name, FilterDirection? Direction, IReadOnlyList<FilterRule> Rules)
{
    /// <summary>
    /// <c>"DryRun": true</c>: the group's decisions are evaluated, logged and counted but not enforced (staged
    /// roll-outs); enforcement decides as if the group were absent.
    /// </summary>
    /// <remarks>Defaults to false.</remarks>
    public bool DryRun { get; init; }
}
