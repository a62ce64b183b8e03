namespace FastRelay.Filtering;

/// <summary>
/// Decides a <see cref="FilterRequest"/> against one <see cref="SecurityPolicy"/>: the first rule of the
/// request's direction, in evaluation order, that matches decides; no match is the default deny.
/// </summary>
/// <remarks>Implementations are immutable after construction, thread-safe, and allocate nothing per decision.</remarks>
internal interface IRuleSet
{
    /// <summary>The policy the rule set decides by.</summary>
    SecurityPolicy Policy { get; }

    /// <summary>Decides <paramref name="request"/>. Never throws for a well-formed request.</summary>
    FilterDecision Decide(in FilterRequest request);
}
