using System.Globalization;
using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.Filtering;

/// <summary>Reading one rule: each field validated, the direction resolved or inferred.</summary>
internal static partial class PolicyLoader
{
    private static readonly string[] RuleKeys =
        ["Direction", "Protocol", "PortRange", "SourceIP", "DestinationIP", "TimeWindow", "Identity", "Service", "Priority", "Action"];

    private static readonly (string Name, FilterDirection Value)[] DirectionNames =
        [("Inbound", FilterDirection.Inbound), ("Outbound", FilterDirection.Outbound)];

    private static readonly (string Name, FilterProtocol Value)[] ProtocolNames =
        [("TCP", FilterProtocol.Tcp), ("UDP", FilterProtocol.Udp), ("ICMP", FilterProtocol.Icmp), ("ALL", FilterProtocol.All)];

    private static readonly (string Name, FilterAction Value)[] ActionNames =
        [("Allow", FilterAction.Allow), ("Deny", FilterAction.Deny)];

    // Null when anything about the rule is wrong; every problem has been added to errors by then.
    private static FilterRule? ReadRule(System.Text.Json.JsonElement element, GroupContext group, int index, List<ConfigError> errors)
    {
        var before = errors.Count;
        var rule = JsonFields.Read(element, $"SecurityGroups[{group.Index}].Rules[{index}]", RuleKeys, errors);
        if (element.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return null;
        }

        var protocol = ReadEnum(rule, "Protocol", ProtocolNames) ?? FilterProtocol.All;
        var action = ReadEnum(rule, "Action", ActionNames);
        if (!rule.Has("Action")) rule.Error("Action", null, "required: Allow or Deny");
        var ports = ReadPorts(rule, protocol);
        var source = ReadAddresses(rule, "SourceIP", group.IpSets);
        var destination = ReadAddresses(rule, "DestinationIP", group.IpSets);
        var (direction, directionSource) = ResolveDirection(rule, group);
        var priority = ReadPriority(rule);
        var window = ReadTimeWindow(rule, errors);
        var identity = ReadIdentity(rule);
        var service = rule.String("Service");
        if (service is not null && !RouteSyntax.IsValidServiceName(service)) rule.Error("Service", service, RouteSyntax.ServiceNameExpected);

        if (errors.Count > before)
        {
            return null;
        }

        return new FilterRule
        {
            GroupName = group.Name, GroupIndex = group.Index, RuleIndex = index,
            Direction = direction!.Value, DirectionSource = directionSource, Action = action!.Value, Priority = priority,
            Protocol = protocol, Ports = ports, Source = source, Destination = destination,
            TimeWindow = window, Identity = identity, Service = service,
        };
    }

    private static (FilterDirection?, DirectionSource) ResolveDirection(JsonFields rule, GroupContext group)
    {
        var own = ReadEnum(rule, "Direction", DirectionNames);
        if (own is not null)
        {
            if (group.Direction is { } groupDirection && groupDirection != own)
            {
                rule.Error("Direction", own.ToString(), $"conflicts with the group's Direction '{groupDirection}'; give the rule its own group or remove one");
            }

            return (own, DirectionSource.Rule);
        }

        if (rule.Has("Direction") || group.DirectionGiven)
        {
            // Either way the direction is set (a bad value is already an error): no inference.
            return (group.Direction ?? FilterDirection.Inbound, DirectionSource.Group);
        }

        bool hasSource = rule.Has("SourceIP"), hasDestination = rule.Has("DestinationIP");
        if (hasSource != hasDestination)
        {
            return (hasSource ? FilterDirection.Inbound : FilterDirection.Outbound, DirectionSource.Inferred);
        }

        rule.Error("Direction", null, $"missing, and it cannot be inferred because the rule has {(hasSource ? "both SourceIP and DestinationIP" : "neither SourceIP nor DestinationIP")}; add \"Direction\": \"Inbound\" or \"Outbound\" to the rule or its group");
        return (null, DirectionSource.Inferred);
    }

    private static TEnum? ReadEnum<TEnum>(JsonFields fields, string name, (string Name, TEnum Value)[] names)
        where TEnum : struct, Enum
    {
        if (fields.String(name) is not { } text)
        {
            return null;
        }

        foreach (var (candidate, value) in names)
        {
            if (string.Equals(candidate, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        fields.Error(name, text, $"expected one of {string.Join(", ", names.Select(n => n.Name))}");
        return null;
    }

    private static int ReadPriority(JsonFields rule)
    {
        const string expected = "expected a whole number from 1 (first) to 100 (last)";
        if (!rule.TryGet("Priority", out var element))
        {
            return DefaultPriority;
        }

        if (element.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            rule.Error("Priority", JsonFields.Shorten(element), expected); // true, null, [1]: not "expected a string".
            return DefaultPriority;
        }

        var text = rule.Scalar("Priority")!;
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var priority) || priority is < 1 or > 100)
        {
            rule.Error("Priority", text, expected);
            return DefaultPriority;
        }

        return priority;
    }

    private static PortSet ReadPorts(JsonFields rule, FilterProtocol protocol)
    {
        if (rule.Scalar("PortRange") is not { } text)
        {
            return PortSet.Any;
        }

        if (!PortSet.TryParse(text, out var ports, out var error))
        {
            rule.Error("PortRange", text, error);
        }
        else if (protocol == FilterProtocol.Icmp && !ports.IsAny)
        {
            rule.Error("PortRange", text, "ICMP has no ports; remove PortRange from this rule or use \"*\"");
        }

        return ports;
    }
}
