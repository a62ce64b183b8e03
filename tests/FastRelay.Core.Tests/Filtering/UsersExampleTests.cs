using FastRelay.Configuration;
using FastRelay.Filtering;
using static FastRelay.Core.Tests.Filtering.PolicyTestData;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>
/// The users' own file (policy-format.md) must load unchanged, with only the placeholder IP set reported,
/// and behave as the document describes once the set is defined.
/// </summary>
public sealed class UsersExampleTests
{
    [Fact]
    public void Load_UsersExample_OnlyErrorIsTheUndefinedPlaceholderSet()
    {
        var error = Assert.Throws<ConfigException>(() => PolicyLoader.Load(UsersExample));

        var only = Assert.Single(error.Errors);
        Assert.Equal("SecurityGroups[1].Rules[0].DestinationIP 'API网关IP段': undefined IP set; define it under \"IpSets\" (group 'Outbound-Filter')", only.ToString());
    }

    [Fact]
    public void Load_UsersExampleWithSetDefined_InfersDirectionsAndKeepsEveryRule()
    {
        var policy = PolicyLoader.Load(UsersExampleWithSet());

        Assert.Equal(["Inbound-Proxy", "Outbound-Filter"], policy.Groups.Select(g => g.Name));
        var rules = policy.Groups.SelectMany(g => g.Rules).ToList();
        Assert.Equal([FilterDirection.Inbound, FilterDirection.Inbound, FilterDirection.Outbound], rules.Select(r => r.Direction));
        Assert.All(rules, r => Assert.Equal(DirectionSource.Inferred, r.DirectionSource));
        Assert.Equal([FilterProtocol.Tcp, FilterProtocol.Icmp, FilterProtocol.Tcp], rules.Select(r => r.Protocol));
        Assert.All(rules, r => Assert.Equal(100, r.Priority));
    }

    [Theory]
    [InlineData("192.168.1.7", "10.0.0.1", 443, "Inbound", true, "Inbound-Proxy rule 0")]
    [InlineData("192.168.1.7", "10.0.0.1", 80, "Inbound", true, "Inbound-Proxy rule 0")]
    [InlineData("192.168.1.7", "10.0.0.1", 22, "Inbound", false, null)]
    [InlineData("192.168.2.7", "10.0.0.1", 443, "Inbound", false, null)]
    [InlineData("192.168.1.7", "203.0.113.9", 443, "Outbound", true, "Outbound-Filter rule 0")]
    [InlineData("192.168.1.7", "2001:db8::5", 443, "Outbound", true, "Outbound-Filter rule 0")]
    [InlineData("192.168.1.7", "203.0.114.9", 443, "Outbound", false, null)]
    [InlineData("192.168.1.7", "203.0.113.9", 80, "Outbound", false, null)]
    public void Decide_UsersExample_AsDocumented(string source, string destination, int port, string direction, bool allowed, string? decidedBy)
    {
        var policy = PolicyLoader.Load(UsersExampleWithSet());

        var decision = Decide(policy, Request(source, destination, port, Enum.Parse<FilterDirection>(direction)));

        Assert.Equal(allowed, decision.IsAllowed);
        Assert.Equal(decidedBy, decision.Rule?.Label);
    }

    [Fact]
    public void Decide_IcmpDenyRule_NeverMatchesTcp_ButMatchesIcmp()
    {
        var policy = PolicyLoader.Load(UsersExampleWithSet());

        // The ICMP Deny at 0.0.0.0/0 would shadow everything if it matched TCP (Deny sorts before Allow).
        Assert.Equal("Inbound-Proxy rule 0", Decide(policy, Request("192.168.1.7", "10.0.0.1", 443)).Rule?.Label);
        Assert.Equal("Inbound-Proxy rule 1", Decide(policy, Request("192.168.1.7", "10.0.0.1", 0, protocol: FilterProtocol.Icmp)).Rule?.Label);
    }
}
