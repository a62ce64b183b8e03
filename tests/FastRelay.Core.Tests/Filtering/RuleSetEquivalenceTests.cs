using System.Globalization;
using System.Net;
using CsCheck;
using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>
/// The compiled matcher decides exactly as the linear scan does, on random policies and random requests
/// (issue 4). Addresses, ports and names come from small universes so that rules overlap, shadow and
/// match often; sizes reach past one 64-bit word and one vector of rule bits.
/// </summary>
public sealed class RuleSetEquivalenceTests
{
    private static readonly string[] Zones = ["UTC", "Asia/Shanghai", "America/New_York"];

    private static readonly Gen<string> Address = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 15], Gen.Int[0, 4], (kind, host, bits) => kind switch
    {
        0 => "0.0.0.0/0",
        1 => "::/0",
        2 => "s1",
        3 or 4 or 5 => Cidr(IPAddress.Parse($"10.0.0.{host}"), 32 - bits, 32),
        6 or 7 => Cidr(IPAddress.Parse($"fd00::{host:x}"), 128 - bits, 128),
        8 => $"10.0.0.{host},fd00::{host:x}",
        _ => "::ffff:10.0.0.0/124",
    });

    private static readonly Gen<string> Ports = Gen.Select(Gen.Int[0, 4], Gen.Int[1, 12], Gen.Int[0, 4], (kind, port, width) => kind switch
    {
        0 => "*",
        1 => $"{port}",
        2 => $"{port}-{port + width}",
        _ => $"{port},{port + width + 2}-{port + width + 4}",
    });

    private static readonly Gen<string> Condition = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 6], Gen.Int[0, 23], Gen.Int[0, 2], (kind, day, hour, zone) => kind switch
    {
        0 => """, "Service": "a" """,
        1 => """, "Identity": ["CN=x*", "SAN:DNS=*.corp"] """,
        2 => $$""", "TimeWindow": {"Days": "{{Day(day)}}-{{Day(day + 2)}}", "Start": "{{hour:00}}:00", "End": "{{(hour + 9) % 24:00}}:30", "TimeZone": "{{Zones[zone]}}"} """,
        _ => "",
    });

    private static readonly Gen<string> Rule = Gen.Select(
        Gen.Int[0, 1], Gen.Int[0, 5], Ports, Gen.Int[0, 3], Address, Address, Gen.Int[0, 5], Gen.Bool, Condition,
        (direction, protocol, ports, fields, source, destination, priority, deny, condition) =>
        {
            var proto = protocol switch { 0 => "TCP", 1 => "UDP", 2 => "ICMP", 3 => "ALL", _ => "tcp" };
            return "{" + $"\"Direction\": \"{(direction == 0 ? "Inbound" : "outbound")}\", \"Protocol\": \"{proto}\""
                + (proto == "ICMP" ? "" : $", \"PortRange\": \"{ports}\"")
                + ((fields & 1) != 0 ? $", \"SourceIP\": \"{source}\"" : "")
                + ((fields & 2) != 0 ? $", \"DestinationIP\": \"{destination}\"" : "")
                + (priority == 0 ? "" : $", \"Priority\": {priority}")
                + $", \"Action\": \"{(deny ? "Deny" : "Allow")}\"" + condition + "}";
        });

    private static readonly Gen<FilterRequest> Request = Gen.Select(
        Gen.Int[0, 1], Gen.Int[0, 40], Gen.Int[0, 40], Gen.Int[0, 14], Gen.Int[0, 3], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[0, (7 * 24 * 60) - 1],
        (direction, source, destination, port, protocol, service, identity, minute) => new FilterRequest(
            direction == 0 ? FilterDirection.Inbound : FilterDirection.Outbound,
            FiveTuple.Create(Host(source), Host(destination), port, protocol switch { 0 => FilterProtocol.Udp, 1 => FilterProtocol.Icmp, _ => FilterProtocol.Tcp }),
            PolicyTestData.MondayMorningShanghai.AddMinutes(minute),
            identity switch
            {
                0 => null,
                1 => new ClientIdentity("xray", [], []),
                2 => new ClientIdentity("y", ["api.corp"], []),
                _ => new ClientIdentity(null, ["a.b.corp"], ["spiffe://corp/x"]),
            },
            service switch { 0 => null, 1 => "a", _ => "b" }));

    [Fact]
    public void Decide_SmallRandomPolicies_CompiledAgreesWithLinear() =>
        Gen.Select(Rule.Array[0, 40], Request.Array[1, 40]).Sample(AssertAgree, iter: 400);

    [Fact]
    public void Decide_LargeRandomPolicies_CompiledAgreesWithLinear() =>
        Gen.Select(Rule.Array[60, 400], Request.Array[1, 60]).Sample(AssertAgree, iter: 40);

    private static void AssertAgree(string[] rules, FilterRequest[] requests)
    {
        var policy = PolicyLoader.Load($$"""
            {"IpSets": {"s1": ["10.0.0.4/30", "fd00::8/125"]},
             "SecurityGroups": [{"Name": "a", "Rules": [{{string.Join(",", rules.Take(rules.Length / 2))}}]},
                                {"Name": "b", "Rules": [{{string.Join(",", rules.Skip(rules.Length / 2))}}]}]}
            """);
        var linear = new LinearRuleSet(policy);
        var compiled = new CompiledRuleSet(policy);
        foreach (var request in requests)
        {
            var expected = linear.Decide(request);
            var actual = compiled.Decide(request);
            Assert.True(expected == actual, $"{request}: linear {expected}, compiled {actual}");
        }
    }

    // Hosts 0..15 of 10.0.0.0/28, the same as IPv4-mapped IPv6, fd00::0..15, and one outside everything.
    private static IPAddress Host(int n) => n switch
    {
        < 16 => IPAddress.Parse($"10.0.0.{n}"),
        < 24 => IPAddress.Parse($"::ffff:10.0.0.{n - 8}"),
        < 40 => IPAddress.Parse($"fd00::{n - 24:x}"),
        _ => IPAddress.Parse("192.0.2.1"),
    };

    private static string Cidr(IPAddress address, int prefix, int bits)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bits; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{prefix}");
    }

    private static string Day(int day) => new[] { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" }[day % 7];
}
