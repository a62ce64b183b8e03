namespace FastRelay.Filtering;

/// <summary>The words of <c>policy explain</c>: why a rule matches a request or which field does not.</summary>
internal sealed partial class FilterRule
{
    /// <summary>The first field that does not match <paramref name="request"/>, in words; null when the rule matches.</summary>
    public string? FindMismatch(in FilterRequest request)
    {
        var tuple = request.Tuple;
        if (!MatchesProtocol(tuple.Protocol))
            return $"Protocol {ProtocolText} does not cover {Name(tuple.Protocol)}";
        if (!Ports.Contains(tuple.DestinationPort))
            return $"port {tuple.DestinationPort} is not in PortRange {Ports}";
        if (!Source.Contains(tuple.Source))
            return $"source {AddressKey.ToAddress(tuple.Source)} is not in SourceIP {Source}";
        if (!Destination.Contains(tuple.Destination))
            return $"destination {AddressKey.ToAddress(tuple.Destination)} is not in DestinationIP {Destination}";
        if (TimeWindow is not null && !TimeWindow.Contains(request.Time))
            return $"{request.Time:yyyy-MM-dd HH:mm zzz} is outside TimeWindow {TimeWindow}";
        if (Identity.Count > 0 && !MatchesIdentity(request.Identity))
            return request.Identity is null ? $"no client identity was given; Identity needs {IdentityText}" : $"identity {request.Identity} does not match {IdentityText}";
        if (Service is not null && !string.Equals(Service, request.Service, StringComparison.Ordinal))
            return $"service {request.Service ?? "(none)"} is not {Service}";
        return null;
    }

    /// <summary>Why the rule matches <paramref name="request"/>, one line per field it constrains (call after a match).</summary>
    public IEnumerable<string> DescribeMatch(FilterRequest request)
    {
        var tuple = request.Tuple;
        yield return $"Direction {Direction} ({DirectionText})";
        yield return $"Protocol {ProtocolText} covers {Name(tuple.Protocol)}";
        yield return $"port {tuple.DestinationPort} is in PortRange {Ports}";
        yield return $"source {AddressKey.ToAddress(tuple.Source)} is in SourceIP {Source}";
        yield return $"destination {AddressKey.ToAddress(tuple.Destination)} is in DestinationIP {Destination}";
        if (TimeWindow is not null) yield return $"{request.Time:yyyy-MM-dd HH:mm zzz} is inside TimeWindow {TimeWindow}";
        if (Identity.Count > 0) yield return $"identity {request.Identity} matches {IdentityText}";
        if (Service is not null) yield return $"service {request.Service} is {Service}";
    }

    /// <summary>One line for <c>policy check</c>: every field, with defaults shown.</summary>
    public string Describe() =>
        $"[{RuleIndex}] {Direction} ({DirectionText}), priority {Priority}, {Action}, {ProtocolText}, ports {Ports}, from {Source}, to {Destination}"
        + (TimeWindow is null ? "" : $", time {TimeWindow}")
        + (Identity.Count == 0 ? "" : $", identity {IdentityText}")
        + (Service is null ? "" : $", service {Service}")
        + (Protocol is FilterProtocol.Udp or FilterProtocol.Icmp ? "  (never matches: this relay only sees TCP)" : "");

    private string DirectionText => DirectionSource switch
    {
        DirectionSource.Rule => "set on the rule",
        DirectionSource.Group => "set on the group",
        _ => Direction == FilterDirection.Inbound ? "inferred: SourceIP without DestinationIP" : "inferred: DestinationIP without SourceIP",
    };

    private string ProtocolText => Name(Protocol);

    private string IdentityText => string.Join(" or ", Identity.Select(i => i.Text));

    private static string Name(FilterProtocol protocol) => protocol.ToString().ToUpperInvariant();
}
