namespace FastRelay.Filtering;

/// <summary>Where a rule's direction came from, so that <c>policy check</c> can show inferred ones.</summary>
internal enum DirectionSource
{
    /// <summary>The rule's own <c>Direction</c>.</summary>
    Rule,

    /// <summary>The group's <c>Direction</c>.</summary>
    Group,

    /// <summary>Inferred: only <c>SourceIP</c> means Inbound, only <c>DestinationIP</c> means Outbound.</summary>
    Inferred,
}
