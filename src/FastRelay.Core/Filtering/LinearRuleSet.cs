namespace FastRelay.Filtering;

/// <summary>
/// The reference implementation of <see cref="IRuleSet"/>: every rule of the direction, in evaluation order,
/// until one matches. Obviously correct and O(rules); <see cref="CompiledRuleSet"/> must agree with it on
/// every request (the property tests check this) and is what the relay uses.
/// </summary>
internal sealed class LinearRuleSet(SecurityPolicy policy) : IRuleSet
{
    /// <inheritdoc />
    public SecurityPolicy Policy { get; } = policy;

    /// <inheritdoc />
    public FilterDecision Decide(in FilterRequest request)
    {
        foreach (var rule in Policy.RulesInOrder(request.Direction))
        {
            if (rule.Matches(request))
            {
                return FilterDecision.By(rule);
            }
        }

        return FilterDecision.DefaultDeny;
    }
}
