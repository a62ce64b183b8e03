using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>
/// Every loader error, one row each: the line names the JSON path, the value and what was expected, and a
/// bad file lists all its errors at once (STYLE.md H5.1).
/// </summary>
public sealed class PolicyLoaderErrorTests
{
    private const string Rule0 = "SecurityGroups[0].Rules[0]";

    public static TheoryData<string, string, string> Documents => new()
    {
        { "not JSON", """{"SecurityGroups": [""", "line 1, byte" },
        { "top level not an object", "[]", "(top level) '[]': expected a JSON object" },
        { "no SecurityGroups", "{}", "SecurityGroups: required" },
        { "SecurityGroups not an array", """{"SecurityGroups": {}}""", "SecurityGroups '{}': expected an array" },
        { "unknown top-level key", """{"SecurityGroups": [], "Groups": []}""", "Groups: unknown key; expected one of SecurityGroups, IpSets" },
        { "key repeated in other case", """{"SecurityGroups": [], "securitygroups": []}""", "securitygroups: given more than once" },
        { "group not an object", """{"SecurityGroups": [7]}""", "SecurityGroups[0] '7': expected a JSON object" },
        { "group without Name", """{"SecurityGroups": [{"Rules": []}]}""", "SecurityGroups[0].Name: required" },
        { "group Name empty", """{"SecurityGroups": [{"Name": " ", "Rules": []}]}""", "SecurityGroups[0].Name ' ': a group name is 1 to 64 characters" },
        { "group names equal but for case", """{"SecurityGroups": [{"Name": "g", "Rules": []}, {"Name": "G", "Rules": []}]}""", "SecurityGroups[1].Name 'G': another group has this name" },
        { "group without Rules", """{"SecurityGroups": [{"Name": "g"}]}""", "SecurityGroups[0].Rules: required" },
        { "Rules not an array", """{"SecurityGroups": [{"Name": "g", "Rules": "all"}]}""", "SecurityGroups[0].Rules '\"all\"': expected an array of rules" },
        { "group Direction unknown", """{"SecurityGroups": [{"Name": "g", "Direction": "Sideways", "Rules": []}]}""", "SecurityGroups[0].Direction 'Sideways': expected one of Inbound, Outbound" },
        { "rule not an object", """{"SecurityGroups": [{"Name": "g", "Rules": [42]}]}""", $"{Rule0} '42': expected a JSON object" },
        { "IpSets not an object", """{"IpSets": [], "SecurityGroups": []}""", "IpSets '[]': expected an object of named address lists" },
        { "IP set empty", """{"IpSets": {"gw": []}, "SecurityGroups": []}""", "IpSets.gw '[]': expected a non-empty array" },
        { "IP set bad address", """{"IpSets": {"gw": ["203.0.113.0/24", "203.0.113.300"]}, "SecurityGroups": []}""", "IpSets.gw[1] '203.0.113.300': expected an IPv4 or IPv6 address" },
        { "IP set naming a set", """{"IpSets": {"gw": ["office"]}, "SecurityGroups": []}""", "IpSets.gw[0] 'office': expected an IPv4 or IPv6 address or CIDR block such as 192.168.1.0/24 or 2001:db8::/48 (an IP set cannot name another set)" },
        { "IP set names equal but for case", """{"IpSets": {"gw": ["10.0.0.1"], "GW": ["10.0.0.2"]}, "SecurityGroups": []}""", "IpSets.GW: another IP set has this name" },
        { "lone surrogate in a value", """{"SecurityGroups": [{"Name": "\uD800", "Rules": []}]}""", "SecurityGroups[0].Name: a \\u escape that is not valid UTF-16" },
        { "lone surrogate in a key", """{"SecurityGroups": [{"Name": "g", "Rules": [{"\uDC00": 1}]}]}""", "SecurityGroups[0].Rules[0].(key 1): a \\u escape that is not valid UTF-16" },
        { "IP set not a list", """{"IpSets": {"gw": 5}, "SecurityGroups": []}""", "IpSets.gw '5': expected a string or an array of strings" },
        { "IP set named as an address", """{"IpSets": {"10.0.0.1": ["192.168.0.0/16"]}, "SecurityGroups": []}""", "IpSets.10.0.0.1: an IP set's name must not be empty nor an IP address" },
        { "IP set named as a CIDR block", """{"IpSets": {"0.0.0.0/0": ["203.0.113.7"]}, "SecurityGroups": []}""", "IpSets.0.0.0.0/0: an IP set's name must not be empty nor an IP address" },
        { "IP set with an empty name", """{"IpSets": {"": ["203.0.113.7"]}, "SecurityGroups": []}""", "IpSets.: an IP set's name must not be empty nor an IP address" },
        { "a second object after the policy", """{"SecurityGroups": []} {"SecurityGroups": []}""", "line 1, byte 24: not valid JSON: '{' is invalid after a single JSON value" },
        { "merge conflict markers after the policy", "{\"SecurityGroups\": []}\n<<<<<<< HEAD\n", "line 2, byte 1: not valid JSON: '<' is invalid after a single JSON value. Expected end of data." },
        { "group name with a line break", """{"SecurityGroups": [{"Name": "a\nb", "Rules": []}]}""", "SecurityGroups[0].Name 'a\\nb': a group name has no control characters" },
    };

    public static TheoryData<string, string, string> Rules => new()
    {
        { "unknown key", """{"Port": "80", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.Port: unknown key" },
        { "key repeated in other case", """{"action": "Deny", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.Action: given more than once" },
        { "no Action", """{"SourceIP": "10.0.0.1"}""", $"{Rule0}.Action: required: Allow or Deny" },
        { "Action unknown", """{"SourceIP": "10.0.0.1", "Action": "Permit"}""", $"{Rule0}.Action 'Permit': expected one of Allow, Deny" },
        { "Action not a string", """{"SourceIP": "10.0.0.1", "Action": true}""", $"{Rule0}.Action 'true': expected a string" },
        { "Protocol unknown", """{"Protocol": "SCTP", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.Protocol 'SCTP': expected one of TCP, UDP, ICMP, ALL" },
        { "port 0", """{"PortRange": "0", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange '0': '0': expected ports" },
        { "port too high", """{"PortRange": "70000", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange '70000': '70000': expected ports" },
        { "port range backwards", """{"PortRange": "80-20", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange '80-20': '80-20': a range goes from low to high, as 20-80" },
        { "port by name", """{"PortRange": "http", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange 'http'" },
        { "two bad ports and a backwards range, all named", """{"PortRange": "0,443,70000,90-80", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange '0,443,70000,90-80': '0', '70000': expected ports such as \"443\", \"80,443\", \"8000-8100\" or \"*\", each from 1 to 65535; '90-80': a range goes from low to high, as 80-90" },
        { "port list with a hole", """{"PortRange": "80,,443", "SourceIP": "10.0.0.1", "Action": "Allow"}""", $"{Rule0}.PortRange '80,,443': an empty entry" },
        { "ICMP with ports", """{"Protocol": "ICMP", "PortRange": "80", "SourceIP": "10.0.0.1", "Action": "Deny"}""", $"{Rule0}.PortRange '80': ICMP has no ports" },
        { "address out of range", """{"SourceIP": "10.0.0.300", "Action": "Allow"}""", $"{Rule0}.SourceIP '10.0.0.300': expected an IPv4 or IPv6 address" },
        { "IPv4 prefix too long", """{"SourceIP": "10.0.0.0/33", "Action": "Allow"}""", $"{Rule0}.SourceIP '10.0.0.0/33': the prefix length must be a number from 0 to 32" },
        { "IPv6 prefix too long", """{"DestinationIP": "2001:db8::/129", "Action": "Allow"}""", $"{Rule0}.DestinationIP '2001:db8::/129': the prefix length must be a number from 0 to 128" },
        { "host bits set", """{"SourceIP": "192.168.1.5/24", "Action": "Allow"}""", $"{Rule0}.SourceIP '192.168.1.5/24': host bits are set; did you mean 192.168.1.0/24?" },
        { "legacy short IPv4", """{"SourceIP": "10.1", "Action": "Allow"}""", $"{Rule0}.SourceIP '10.1': expected an IPv4" },
        { "octal-looking IPv4", """{"SourceIP": "010.0.0.1", "Action": "Allow"}""", $"{Rule0}.SourceIP '010.0.0.1': expected an IPv4" },
        { "IPv6 zone id", """{"SourceIP": "fe80::1%eth0", "Action": "Allow"}""", $"{Rule0}.SourceIP 'fe80::1%eth0': expected an IPv4" },
        { "IPv6 with a port (would match every port)", """{"DestinationIP": "[2001:db8::2]:8443", "Action": "Allow"}""", $"{Rule0}.DestinationIP '[2001:db8::2]:8443': expected an IPv4" },
        { "IPv6 in brackets", """{"SourceIP": "[2001:db8::1]", "Action": "Allow"}""", $"{Rule0}.SourceIP '[2001:db8::1]': expected an IPv4" },
        { "IPv4 with a port", """{"SourceIP": "10.0.0.1:80", "Action": "Allow"}""", $"{Rule0}.SourceIP '10.0.0.1:80': expected an IPv4" },
        { "undefined IP set", """{"SourceIP": "office", "Action": "Allow"}""", $"{Rule0}.SourceIP 'office': undefined IP set; define it under \"IpSets\"" },
        { "undefined set in an array", """{"SourceIP": ["10.0.0.0/8", "office"], "Action": "Allow"}""", $"{Rule0}.SourceIP[1] 'office': undefined IP set" },
        { "empty address entry", """{"SourceIP": "10.0.0.1,", "Action": "Allow"}""", $"{Rule0}.SourceIP '10.0.0.1,': an empty entry" },
        { "empty address list", """{"SourceIP": [], "Action": "Allow"}""", $"{Rule0}.SourceIP '[]': an empty list matches nothing" },
        { "address not a string", """{"SourceIP": 10, "Action": "Allow"}""", $"{Rule0}.SourceIP '10': expected a string or an array of strings" },
        { "direction not inferable: both", """{"SourceIP": "10.0.0.1", "DestinationIP": "10.0.0.2", "Action": "Allow"}""", $"{Rule0}.Direction: missing, and it cannot be inferred because the rule has both SourceIP and DestinationIP" },
        { "direction not inferable: neither", """{"PortRange": "443", "Action": "Allow"}""", $"{Rule0}.Direction: missing, and it cannot be inferred because the rule has neither SourceIP nor DestinationIP" },
        { "Direction unknown", """{"Direction": "In", "Action": "Allow"}""", $"{Rule0}.Direction 'In': expected one of Inbound, Outbound" },
        { "Priority 0", """{"SourceIP": "10.0.0.1", "Priority": 0, "Action": "Allow"}""", $"{Rule0}.Priority '0': expected a whole number from 1 (first) to 100 (last)" },
        { "Priority 101", """{"SourceIP": "10.0.0.1", "Priority": "101", "Action": "Allow"}""", $"{Rule0}.Priority '101'" },
        { "Priority fraction", """{"SourceIP": "10.0.0.1", "Priority": 1.5, "Action": "Allow"}""", $"{Rule0}.Priority '1.5'" },
        { "Priority word", """{"SourceIP": "10.0.0.1", "Priority": "high", "Action": "Allow"}""", $"{Rule0}.Priority 'high'" },
        { "Priority true", """{"SourceIP": "10.0.0.1", "Priority": true, "Action": "Allow"}""", $"{Rule0}.Priority 'true': expected a whole number from 1 (first) to 100 (last)" },
        { "Priority in a list", """{"SourceIP": "10.0.0.1", "Priority": [1], "Action": "Allow"}""", $"{Rule0}.Priority '[1]': expected a whole number from 1 (first) to 100 (last)" },
        { "Start 24:00 (never matches)", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Start": "24:00", "End": "00:00"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.End '00:00': 24:00 to 00:00 is an empty window" },
        { "TimeWindow not an object", """{"SourceIP": "10.0.0.1", "TimeWindow": "office hours", "Action": "Allow"}""", $"{Rule0}.TimeWindow '\"office hours\"': expected a JSON object" },
        { "TimeWindow unknown key", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Hours": "8-20"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.Hours: unknown key; expected one of Days, Start, End, TimeZone" },
        { "Days unknown", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Days": "Mon-Funday"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.Days 'Mon-Funday': expected days" },
        { "Start not a clock", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Start": "8am", "End": "20:00"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.Start '8am': expected a time of day HH:mm" },
        { "End past 24:00", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Start": "08:00", "End": "24:01"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.End '24:01'" },
        { "Start without End", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Start": "08:00"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.End: Start and End go together" },
        { "Start equals End", """{"SourceIP": "10.0.0.1", "TimeWindow": {"Start": "08:00", "End": "8:00"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.End '8:00': is the same as Start" },
        { "unknown time zone", """{"SourceIP": "10.0.0.1", "TimeWindow": {"TimeZone": "Mars/Olympus"}, "Action": "Allow"}""", $"{Rule0}.TimeWindow.TimeZone 'Mars/Olympus': unknown time zone" },
        { "Identity field unknown", """{"SourceIP": "10.0.0.1", "Identity": "OU=ops", "Action": "Allow"}""", $"{Rule0}.Identity 'OU=ops': expected CN=NAME, SAN:DNS=NAME or SAN:URI=URI, with * as a wildcard" },
        { "Identity empty value", """{"SourceIP": "10.0.0.1", "Identity": ["CN=a", "SAN:DNS="], "Action": "Allow"}""", $"{Rule0}.Identity[1] 'SAN:DNS='" },
        { "Identity empty list", """{"SourceIP": "10.0.0.1", "Identity": [], "Action": "Allow"}""", $"{Rule0}.Identity '[]': an empty list" },
        { "Service not a name", """{"SourceIP": "10.0.0.1", "Service": "crm app", "Action": "Allow"}""", $"{Rule0}.Service 'crm app': a service name is 1 to 64 letters" },
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void Load_BadDocument_ReportsPathValueAndExpectation(string label, string json, string expected) =>
        AssertError(label, json, expected);

    [Theory]
    [MemberData(nameof(Rules))]
    public void Load_BadRule_ReportsPathValueAndExpectation(string label, string rule, string expected) =>
        AssertError(label, $$"""{"SecurityGroups": [{"Name": "g", "Rules": [{{rule}}]}]}""", expected);

    [Fact]
    public void Load_RulesThatWouldCompileToHugeTables_IsAnError_SharedAddressesAreNot()
    {
        // One /32 per rule: the compiled tables grow with rules x addresses (60,000 rules: about 450 MiB).
        static string Policy(Func<int, string> source) =>
            $$"""{"SecurityGroups": [{"Name": "g", "Rules": [{{string.Join(",", Enumerable.Range(0, 60_000).Select(i =>
                $$"""{"SourceIP": "{{source(i)}}", "PortRange": "443", "Action": "Deny"}"""))}}]}]}""";

        var huge = Policy(i => $"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}");
        AssertError("huge", huge, "SecurityGroups: 60,000 rules would compile to up to");
        var error = Assert.Single(Assert.Throws<ConfigException>(() => PolicyLoader.Load(huge)).Errors);
        Assert.Contains("MiB of match tables, over the limit of 128 MiB", error.Expected, StringComparison.Ordinal);

        // The same count with one shared address compiles to a few sets: allowed, and decided.
        var shared = new CompiledRuleSet(PolicyLoader.Load(Policy(_ => "10.0.0.1")));
        Assert.True(shared.MemoryBytes < 64L << 20, $"{shared.MemoryBytes} bytes");
    }

    [Fact]
    public void Load_ARuleNamingAnIpSetWithABadEntry_ListsTheSetsError_NotAlsoUndefined()
    {
        var error = Assert.Throws<ConfigException>(() => PolicyLoader.Load("""
            {"IpSets": {"desks": ["10.0.0.0/33"], "empty": []},
             "SecurityGroups": [{"Name": "g", "Rules": [{"SourceIP": "desks", "Action": "Allow"}, {"SourceIP": "empty", "Action": "Allow"}]}]}
            """));
        Assert.Equal(2, error.Errors.Count); // The two sets' own errors; the references are not "undefined" on top.
        Assert.DoesNotContain(error.Errors, e => e.Expected.Contains("undefined", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_StarInAPortList_SaysItStandsAlone() =>
        AssertError("star in a list", """{"SecurityGroups": [{"Name": "g", "Rules": [{"SourceIP": "10.0.0.1", "PortRange": "80,443,*", "Action": "Allow"}]}]}""",
            $"{Rule0}.PortRange '80,443,*': '*' means every port and stands alone: give \"*\" by itself, or list the ports without it");

    [Fact]
    public void Load_RuleDirectionConflictsWithGroup_IsAnError() =>
        AssertError("conflict", """{"SecurityGroups": [{"Name": "g", "Direction": "Inbound", "Rules": [{"Direction": "Outbound", "Action": "Allow"}]}]}""",
            $"{Rule0}.Direction 'Outbound': conflicts with the group's Direction 'Inbound'");

    [Fact]
    public void Load_ManyErrors_ListsEveryOneInOnePass()
    {
        var json = """
            {"SecurityGroups": [
              {"Name": "a", "Rules": [
                {"Protocol": "SCTP", "PortRange": "99999", "SourceIP": "nowhere", "Priority": 0, "Action": "Maybe"},
                {"SourceIP": "10.0.0.1", "DestinationIP": "10.0.0.2", "Action": "Allow"}]},
              {"Name": "A", "Rules": [{"SourceIP": "10.0.0.0/8", "TimeWindow": {"TimeZone": "Nowhere/City"}, "Action": "Deny"}]}
            ]}
            """;

        var error = Assert.Throws<ConfigException>(() => PolicyLoader.Load(json));

        var paths = error.Errors.Select(e => e.Path).ToList();
        Assert.Equal(
            ["Protocol", "Action", "PortRange", "SourceIP", "Priority"],
            paths.Where(p => p.StartsWith(Rule0 + ".", StringComparison.Ordinal)).Select(p => p[(Rule0.Length + 1)..]));
        Assert.Contains("SecurityGroups[0].Rules[1].Direction", paths);
        Assert.Contains("SecurityGroups[1].Name", paths);
        Assert.Contains("SecurityGroups[1].Rules[0].TimeWindow.TimeZone", paths);
        Assert.Equal(8, error.Errors.Count);
    }

    private static void AssertError(string label, string json, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => PolicyLoader.Load(json));
        var lines = error.Errors.Select(e => e.ToString()).ToList();
        Assert.True(lines.Any(l => l.StartsWith(expected, StringComparison.Ordinal)), $"{label}: expected a line starting with\n  {expected}\ngot\n  {string.Join("\n  ", lines)}");
    }
}
