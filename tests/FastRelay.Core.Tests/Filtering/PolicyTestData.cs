using System.Net;
using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>The users' example file (policy-format.md) and small helpers shared by the filtering tests.</summary>
internal static class PolicyTestData
{
    /// <summary>The users' file exactly as policy-format.md gives it, placeholder IP set included.</summary>
    public const string UsersExample = """
        {"SecurityGroups": [
          {"Name": "Inbound-Proxy", "Rules": [
            {"Protocol": "TCP", "PortRange": "80,443", "SourceIP": "192.168.1.0/24", "Action": "Allow"},
            {"Protocol": "ICMP", "SourceIP": "0.0.0.0/0", "Action": "Deny"}]},
          {"Name": "Outbound-Filter", "Rules": [
            {"Protocol": "TCP", "PortRange": "443", "DestinationIP": "API网关IP段", "Action": "Allow"}]}
        ]}
        """;

    /// <summary>A fixed instant: Monday 2025-06-02 09:00 in Shanghai (01:00 UTC).</summary>
    public static readonly DateTimeOffset MondayMorningShanghai = new(2025, 6, 2, 1, 0, 0, TimeSpan.Zero);

    /// <summary>The users' example with the placeholder set defined.</summary>
    public static string UsersExampleWithSet() =>
        UsersExample.Replace("{\"SecurityGroups\"", "{\"IpSets\": {\"API网关IP段\": [\"203.0.113.0/24\", \"2001:db8::/48\"]}, \"SecurityGroups\"", StringComparison.Ordinal);

    /// <summary>A policy of one group with <paramref name="rules"/> (JSON objects) in it.</summary>
    public static SecurityPolicy Policy(params string[] rules) =>
        PolicyLoader.Load($$"""{"SecurityGroups": [{"Name": "g", "Rules": [{{string.Join(",", rules)}}]}]}""");

    /// <summary>A TCP request.</summary>
    public static FilterRequest Request(
        string source, string destination, int port, FilterDirection direction = FilterDirection.Inbound,
        DateTimeOffset? at = null, ClientIdentity? identity = null, string? service = null, FilterProtocol protocol = FilterProtocol.Tcp) =>
        new(direction, FiveTuple.Create(IPAddress.Parse(source), IPAddress.Parse(destination), port, protocol),
            at ?? MondayMorningShanghai, identity, service);

    /// <summary>Decides with both rule sets, checks they agree, and returns the decision.</summary>
    public static FilterDecision Decide(SecurityPolicy policy, in FilterRequest request)
    {
        var linear = new LinearRuleSet(policy).Decide(request);
        var compiled = new CompiledRuleSet(policy).Decide(request);
        Assert.Equal(linear, compiled);
        return compiled;
    }
}
