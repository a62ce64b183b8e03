namespace FastRelay.Filtering;

/// <summary>
/// One validated rule of a security group, with its direction resolved. Immutable and thread-safe; the
/// match methods allocate nothing. Built only by <see cref="PolicyLoader"/> (and tests).
/// </summary>
internal sealed partial class FilterRule
{
    /// <summary>The group's <c>Name</c>.</summary>
    public required string GroupName { get; init; }

    /// <summary>The group's position in <c>SecurityGroups</c>, from 0.</summary>
    public required int GroupIndex { get; init; }

    /// <summary>The rule's position in its group's <c>Rules</c>, from 0.</summary>
    public required int RuleIndex { get; init; }

    /// <summary>The checkpoint the rule applies at.</summary>
    public required FilterDirection Direction { get; init; }

    /// <summary>Whether the direction was written on the rule, on the group, or inferred.</summary>
    public required DirectionSource DirectionSource { get; init; }

    /// <summary>Allow or Deny.</summary>
    public required FilterAction Action { get; init; }

    /// <summary>1 (first) to 100 (last).</summary>
    /// <remarks>Defaults to 100.</remarks>
    public int Priority { get; init; } = PolicyLoader.DefaultPriority;

    /// <summary>The protocol matched.</summary>
    /// <remarks>Defaults to <see cref="FilterProtocol.All"/>.</remarks>
    public FilterProtocol Protocol { get; init; } = FilterProtocol.All;

    /// <summary>The destination ports matched.</summary>
    /// <remarks>Defaults to every port.</remarks>
    public PortSet Ports { get; init; } = PortSet.Any;

    /// <summary>The source addresses matched.</summary>
    /// <remarks>Defaults to any address.</remarks>
    public AddressSet Source { get; init; } = AddressSet.Any;

    /// <summary>The destination addresses matched.</summary>
    /// <remarks>Defaults to any address.</remarks>
    public AddressSet Destination { get; init; } = AddressSet.Any;

    /// <summary>When the rule applies; null for always.</summary>
    public TimeWindow? TimeWindow { get; init; }

    /// <summary>Client-certificate patterns, any of which must match; empty for anyone (certificate or not).</summary>
    public IReadOnlyList<IdentityPattern> Identity { get; init; } = [];

    /// <summary>The route name the client must have asked for (ordinal, as route names are); null for any.</summary>
    public string? Service { get; init; }

    /// <summary>"Inbound-Proxy rule 0": how decisions, audit rows and metrics name the rule.</summary>
    public string Label => $"{GroupName} rule {RuleIndex}";

    /// <summary>True when the rule has a time, identity or service condition (checked one rule at a time by the compiled matcher).</summary>
    public bool HasConditions => TimeWindow is not null || Identity.Count > 0 || Service is not null;

    /// <summary>True when every field matches <paramref name="request"/> (the direction is the caller's filter).</summary>
    public bool Matches(in FilterRequest request) =>
        MatchesProtocol(request.Tuple.Protocol)
        && Ports.Contains(request.Tuple.DestinationPort)
        && Source.Contains(request.Tuple.Source)
        && Destination.Contains(request.Tuple.Destination)
        && MatchesConditions(request);

    /// <summary>True when the time window, identity and service conditions hold (each absent one holds).</summary>
    public bool MatchesConditions(in FilterRequest request) =>
        (TimeWindow is null || TimeWindow.Contains(request.Time))
        && (Identity.Count == 0 || MatchesIdentity(request.Identity))
        && (Service is null || request.Service is FilterRequest.AnyService || string.Equals(Service, request.Service, StringComparison.Ordinal));

    /// <summary>True when the rule's protocol covers <paramref name="protocol"/>.</summary>
    public bool MatchesProtocol(FilterProtocol protocol) => Protocol == FilterProtocol.All || Protocol == protocol;

    private bool MatchesIdentity(ClientIdentity? identity)
    {
        if (identity is null)
        {
            return false;
        }

        if (identity.IsUnknown)
        {
            return true; // Before the handshake: the identity may still match (ClientIdentity.Unknown).
        }

        // An indexed loop: foreach over IReadOnlyList<T> would box an enumerator on every decision.
        for (var i = 0; i < Identity.Count; i++)
        {
            if (Identity[i].Matches(identity))
            {
                return true;
            }
        }

        return false;
    }
}
