namespace FastRelay.Filtering;

/// <summary>
/// The outcome of one decision: allow or deny, and the rule that decided, or none for the default deny
/// (policy-format.md: no match means Deny). A struct holding a reference to an existing rule: no allocation.
/// </summary>
internal readonly record struct FilterDecision
{
    private FilterDecision(FilterAction action, FilterRule? rule)
    {
        Action = action;
        Rule = rule;
    }

    /// <summary>Allow or Deny.</summary>
    public FilterAction Action { get; }

    /// <summary>The deciding rule (its group and index name it in audit rows and metrics), or null for the default deny.</summary>
    public FilterRule? Rule { get; }

    /// <summary>True when the connection may proceed.</summary>
    public bool IsAllowed => Action == FilterAction.Allow;

    /// <summary>True when no rule matched.</summary>
    public bool IsDefaultDeny => Rule is null;

    /// <summary>The decision of the default deny.</summary>
    public static FilterDecision DefaultDeny => new(FilterAction.Deny, null);

    /// <summary>The decision of <paramref name="rule"/>.</summary>
    public static FilterDecision By(FilterRule rule) => new(rule.Action, rule);

    /// <summary>"Allow by Inbound-Proxy rule 0" or "Deny by default deny".</summary>
    public override string ToString() => $"{Action} by {(Rule is null ? "default deny" : Rule.Label)}";
}
