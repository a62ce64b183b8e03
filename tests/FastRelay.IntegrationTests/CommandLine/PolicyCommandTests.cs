using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// <c>fastrelay policy check</c> and <c>policy explain</c> as operators script them (cli.md): the users' own
/// file reports only its placeholder IP set, a valid file lists groups, rules and inferred directions, and
/// explain names the deciding rule. Guards the exit codes (0 valid or decided, 2 with every error listed)
/// and that no stack trace reaches the terminal.
/// </summary>
public sealed class PolicyCommandTests : IDisposable
{
    private const string UsersExample = """
        {"SecurityGroups": [
          {"Name": "Inbound-Proxy", "Rules": [
            {"Protocol": "TCP", "PortRange": "80,443", "SourceIP": "192.168.1.0/24", "Action": "Allow"},
            {"Protocol": "ICMP", "SourceIP": "0.0.0.0/0", "Action": "Deny"}]},
          {"Name": "Outbound-Filter", "Rules": [
            {"Protocol": "TCP", "PortRange": "443", "DestinationIP": "API网关IP段", "Action": "Allow"}]}
        ]}
        """;

    private readonly List<string> _files = [];

    [Fact]
    public async Task Check_UsersExample_Exit2_OnlyThePlaceholderSetIsReported()
    {
        var path = Write(UsersExample);

        using var relay = await FastRelayProcess.RunAsync("policy", "check", path);

        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("1 error:", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("SecurityGroups[1].Rules[0].DestinationIP 'API网关IP段': undefined IP set; define it under \"IpSets\" (group 'Outbound-Filter')", relay.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ValidFile_Exit0_ListsGroupsRulesAndInferredDirections()
    {
        var path = Write(WithSet(UsersExample));

        using var relay = await FastRelayProcess.RunAsync("policy", "check", path);

        Assert.Equal(0, await relay.WaitForExitAsync());
        var stdout = relay.StandardOutput;
        Assert.Contains("valid: 2 security groups, 3 rules (2 Inbound, 1 Outbound)", stdout, StringComparison.Ordinal);
        Assert.Contains("Inbound-Proxy", stdout, StringComparison.Ordinal);
        Assert.Contains("[0] Inbound (inferred: SourceIP without DestinationIP), priority 100, Allow, TCP, ports 80,443, from 192.168.1.0/24", stdout, StringComparison.Ordinal);
        Assert.Contains("[0] Outbound (inferred: DestinationIP without SourceIP)", stdout, StringComparison.Ordinal);
        Assert.Contains("never matches", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ManyErrors_Exit2_EveryPathListed()
    {
        var path = Write("""{"SecurityGroups": [{"Name": "g", "Rules": [{"PortRange": "0", "SourceIP": "10.0.0.300", "Action": "Maybe"}, {"Action": "Allow"}]}]}""");

        using var relay = await FastRelayProcess.RunAsync("policy", "check", path);

        Assert.Equal(2, await relay.WaitForExitAsync());
        foreach (var named in new[] { "Rules[0].PortRange '0'", "Rules[0].SourceIP '10.0.0.300'", "Rules[0].Action 'Maybe'", "Rules[1].Direction: missing" })
        {
            Assert.Contains(named, relay.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_MissingFile_Exit2_SaysFileNotFound_NamingThePathOnce()
    {
        using var relay = await FastRelayProcess.RunAsync("policy", "check", "/nonexistent/policy.json");

        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Equal("fastrelay: /nonexistent/policy.json: 1 error:\n  file not found\n", relay.StandardError.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Explain_MatchingRule_Exit0_NamesGroupRuleAndWhy()
    {
        var path = Write(WithSet(UsersExample));

        using var relay = await FastRelayProcess.RunAsync("policy", "explain", path, "--src", "192.168.1.7", "--dst", "10.0.0.1", "--port", "443");

        Assert.Equal(0, await relay.WaitForExitAsync());
        var stdout = relay.StandardOutput;
        Assert.StartsWith("Allow by Inbound-Proxy rule 0", stdout, StringComparison.Ordinal);
        Assert.Contains("port 443 is in PortRange 80,443", stdout, StringComparison.Ordinal);
        Assert.Contains("Inbound-Proxy rule 1 (Deny, priority 100): Protocol ICMP does not cover TCP", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_OutboundIPv6ThroughIpSet_Exit0_Allowed()
    {
        var path = Write(WithSet(UsersExample));

        using var relay = await FastRelayProcess.RunAsync(
            "policy", "explain", path, "--src", "192.168.1.7", "--dst", "2001:db8::9", "--port", "443", "--direction", "outbound", "--at", "2025-06-02T09:00+08:00");

        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.StartsWith("Allow by Outbound-Filter rule 0", relay.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_NoRuleMatches_Exit0_DefaultDenyWithReasons()
    {
        var path = Write(WithSet(UsersExample));

        using var relay = await FastRelayProcess.RunAsync("policy", "explain", path, "--src", "192.168.9.7", "--dst", "10.0.0.1", "--port", "443");

        Assert.Equal(0, await relay.WaitForExitAsync());
        Assert.StartsWith("Deny by default deny", relay.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("source 192.168.9.7 is not in SourceIP 192.168.1.0/24", relay.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_BadFlagsAndBadFile_Exit2_EveryErrorListed()
    {
        var path = Write(UsersExample);

        using var relay = await FastRelayProcess.RunAsync(
            "policy", "explain", path, "--src", "nope", "--port", "99999", "--proto", "sctp", "--at", "yesterday", "--identity", "OU=x");

        Assert.Equal(2, await relay.WaitForExitAsync());
        foreach (var named in new[] { "--src 'nope'", "--dst: required", "--port '99999'", "--proto 'sctp'", "--at 'yesterday'", "--identity 'OU=x'", "DestinationIP 'API网关IP段'" })
        {
            Assert.Contains(named, relay.StandardError, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExplainHelp_Exit0_ListsEveryFlagWithItsDefault()
    {
        using var help = await FastRelayProcess.RunAsync("policy", "explain", "--help");

        Assert.Equal(0, await help.WaitForExitAsync());
        foreach (var flag in new[] { "--src", "--dst", "--port", "--proto", "--identity", "--service", "--direction", "--at", "[default: tcp]", "[default: inbound]" })
        {
            Assert.Contains(flag, help.StandardOutput, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }

    private static string WithSet(string json) =>
        json.Replace("{\"SecurityGroups\"", "{\"IpSets\": {\"API网关IP段\": [\"203.0.113.0/24\", \"2001:db8::/48\"]}, \"SecurityGroups\"", StringComparison.Ordinal);

    private string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-policy-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        _files.Add(path);
        return path;
    }
}
