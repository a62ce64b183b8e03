using FastRelay.Filtering;
using static FastRelay.Core.Tests.Filtering.PolicyTestData;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>What each rule field means (policy-format.md, "Fields"), one row per case, decided by both rule sets.</summary>
public sealed class FieldSemanticsTests
{
    [Theory]
    [InlineData("80,443", 80, true)]
    [InlineData("80,443", 443, true)]
    [InlineData("80,443", 81, false)]
    [InlineData("8000-8100", 8000, true)]
    [InlineData("8000-8100", 8100, true)]
    [InlineData("8000-8100", 8101, false)]
    [InlineData("22, 8000-8100 ,443", 8050, true)]
    [InlineData("22, 8000-8100 ,443", 23, false)]
    [InlineData("*", 1, true)]
    [InlineData("*", 65535, true)]
    public void PortRange_MatchesListedPortsOnly(string ports, int port, bool allowed) =>
        Assert.Equal(allowed, Decide(Policy($$"""{"PortRange": "{{ports}}", "SourceIP": "0.0.0.0/0", "Action": "Allow"}"""), Request("10.0.0.1", "10.0.0.2", port)).IsAllowed);

    [Theory]
    [InlineData("192.168.1.0/24", "192.168.1.255", true)]
    [InlineData("192.168.1.0/24", "192.168.2.0", false)]
    [InlineData("192.168.1.7", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    [InlineData("10.0.0.0/8, 172.16.0.0/12", "172.31.255.1", true)]
    [InlineData("0.0.0.0/0", "203.0.113.1", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "203.0.113.1", false)]
    [InlineData("2001:db8::/48", "2001:db8:0:ffff::1", true)]
    [InlineData("2001:db8::/48", "2001:db9::1", false)]
    [InlineData("192.168.1.0/24", "::ffff:192.168.1.9", true)]
    [InlineData("::ffff:192.168.1.0/120", "192.168.1.9", true)]
    [InlineData("office", "198.51.100.20", true)]
    [InlineData("OFFICE", "2001:db8:1::9", true)]
    [InlineData("office", "198.51.101.20", false)]
    [InlineData("2024", "203.0.113.5", true)] // Set names that only look numeric, or have a colon, are names.
    [InlineData("aws:vpc", "10.20.0.9", true)]
    [InlineData("aws:vpc", "10.21.0.9", false)]
    public void SourceIP_AddressesCidrsListsAndSets(string sourceIP, string client, bool allowed)
    {
        var policy = PolicyLoader.Load($$"""
            {"IpSets": {"office": ["198.51.100.0/24", "2001:db8:1::/48"], "2024": ["203.0.113.0/24"], "aws:vpc": ["10.20.0.0/16"]},
             "SecurityGroups": [{"Name": "g", "Rules": [{"SourceIP": "{{sourceIP}}", "Action": "Allow"}]}]}
            """);

        Assert.Equal(allowed, Decide(policy, Request(client, "10.0.0.2", 443)).IsAllowed);
    }

    [Theory]
    [InlineData("TCP", "Tcp", true)]
    [InlineData("tcp", "Tcp", true)]
    [InlineData("ALL", "Tcp", true)]
    [InlineData("UDP", "Tcp", false)]
    [InlineData("ICMP", "Tcp", false)]
    [InlineData("UDP", "Udp", true)]
    public void Protocol_MatchesOnlyItsProtocol(string protocol, string asked, bool allowed) =>
        Assert.Equal(allowed, Decide(Policy($$"""{"Protocol": "{{protocol}}", "SourceIP": "0.0.0.0/0", "Action": "Allow"}"""),
            Request("10.0.0.1", "10.0.0.2", 53, protocol: Enum.Parse<FilterProtocol>(asked))).IsAllowed);

    [Fact]
    public void Priority_LowerNumberDecidesFirst_DefaultIs100()
    {
        var policy = Policy(
            """{"SourceIP": "10.0.0.0/8", "Action": "Deny"}""",
            """{"SourceIP": "10.0.0.0/8", "Priority": 99, "Action": "Allow"}""");

        Assert.Equal("g rule 1", Decide(policy, Request("10.1.1.1", "10.0.0.2", 443)).Rule?.Label);
    }

    [Fact]
    public void Priority_EqualPriority_DenyBeforeAllow_ThenFileOrder()
    {
        var policy = Policy(
            """{"SourceIP": "10.0.0.0/8", "Priority": 5, "Action": "Allow"}""",
            """{"SourceIP": "10.0.0.0/16", "Priority": 5, "Action": "Deny"}""",
            """{"SourceIP": "10.0.0.0/8", "Priority": 5, "Action": "Deny"}""");

        Assert.Equal("g rule 1", Decide(policy, Request("10.0.1.1", "10.0.0.2", 443)).Rule?.Label);
        Assert.Equal("g rule 2", Decide(policy, Request("10.9.1.1", "10.0.0.2", 443)).Rule?.Label);
    }

    [Fact]
    public void Evaluation_NoMatch_IsDefaultDeny()
    {
        var decision = Decide(Policy("""{"SourceIP": "10.0.0.0/8", "Action": "Allow"}"""), Request("192.0.2.1", "10.0.0.2", 443));

        Assert.False(decision.IsAllowed);
        Assert.True(decision.IsDefaultDeny);
        Assert.Equal("Deny by default deny", decision.ToString());
    }

    [Fact]
    public void Direction_OnlyRulesOfTheCheckpointCount_GroupDirectionApplies()
    {
        var policy = PolicyLoader.Load("""
            {"SecurityGroups": [
              {"Name": "out", "Direction": "Outbound", "Rules": [{"SourceIP": "10.0.0.0/8", "DestinationIP": "10.1.0.0/16", "Action": "Allow"}]},
              {"Name": "in", "Rules": [{"Direction": "inbound", "SourceIP": "10.0.0.0/8", "DestinationIP": "10.2.0.0/16", "Action": "Allow"}]}]}
            """);

        Assert.Equal(DirectionSource.Group, policy.Groups[0].Rules[0].DirectionSource);
        Assert.Equal(DirectionSource.Rule, policy.Groups[1].Rules[0].DirectionSource);
        Assert.True(Decide(policy, Request("10.0.0.1", "10.1.0.1", 443, FilterDirection.Outbound)).IsAllowed);
        Assert.False(Decide(policy, Request("10.0.0.1", "10.1.0.1", 443, FilterDirection.Inbound)).IsAllowed);
        Assert.True(Decide(policy, Request("10.0.0.1", "10.2.0.1", 443, FilterDirection.Inbound)).IsAllowed);
        Assert.False(Decide(policy, Request("10.0.0.1", "10.2.0.1", 443, FilterDirection.Outbound)).IsAllowed);
    }

    [Fact]
    public void KeysAndEnumValues_AreCaseInsensitive()
    {
        var policy = PolicyLoader.Load("""{"securitygroups": [{"NAME": "g", "rules": [{"PROTOCOL": "tcp", "portrange": "443", "sourceip": "10.0.0.0/8", "action": "ALLOW", "priority": 3}]}]}""");

        var rule = policy.Groups[0].Rules[0];
        Assert.Equal((FilterProtocol.Tcp, FilterAction.Allow, 3), (rule.Protocol, rule.Action, rule.Priority));
    }

    [Theory]
    [InlineData("CN=api-*", "CN=api-7", true)]
    [InlineData("cn=API-*", "CN=api-7", true)]
    [InlineData("CN=api-*", "CN=web-1", false)]
    [InlineData("SAN:DNS=*.corp.example", "SAN:DNS=a.corp.example", true)]
    [InlineData("SAN:DNS=*.corp.example", "SAN:DNS=A.CORP.EXAMPLE", true)]
    [InlineData("SAN:DNS=*.corp.example", "SAN:DNS=a.b.corp.example", false)]
    [InlineData("SAN:URI=spiffe://corp/ns/prod/*", "SAN:URI=spiffe://corp/ns/prod/sa/api", true)]
    [InlineData("SAN:URI=spiffe://corp/ns/prod/*", "SAN:URI=spiffe://corp/ns/PROD/sa/api", false)]
    [InlineData("SAN:URI=spiffe://corp/ns/prod/*", "CN=spiffe://corp/ns/prod/x", false)]
    [InlineData("CN=api", "SAN:DNS=api", false)]
    public void Identity_MatchesTheNamedCertificateField(string pattern, string fact, bool allowed)
    {
        var policy = Policy($$"""{"SourceIP": "10.0.0.0/8", "Identity": "{{pattern}}", "Action": "Allow"}""");
        Assert.True(ClientIdentity.TryParse([fact], out var identity, out _));

        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, identity: identity)).IsAllowed);
    }

    [Fact]
    public void Identity_NoCertificate_NeverMatches_AndAListMeansAnyOf()
    {
        var policy = Policy("""{"SourceIP": "10.0.0.0/8", "Identity": ["CN=a", "CN=b"], "Action": "Allow"}""");

        Assert.False(Decide(policy, Request("10.0.0.1", "10.0.0.2", 443)).IsAllowed);
        Assert.True(Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, identity: new ClientIdentity("b", [], []))).IsAllowed);
    }

    [Theory]
    [InlineData("crm", true)]
    [InlineData("CRM", false)]
    [InlineData("tickets", false)]
    [InlineData(null, false)]
    public void Service_MatchesTheRouteNameExactly(string? service, bool allowed) =>
        Assert.Equal(allowed, Decide(Policy("""{"SourceIP": "10.0.0.0/8", "Service": "crm", "Action": "Allow"}"""),
            Request("10.0.0.1", "10.0.0.2", 443, service: service)).IsAllowed);
}
