using FastRelay.Filtering;
using FastRelay.TestKit;
using static FastRelay.Core.Tests.Filtering.PolicyTestData;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>A decision allocates nothing (issue 4: 0 B), with every kind of condition on the way.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Decide_WithTimeIdentityAndServiceConditions_AllocatesNothing()
    {
        var policy = Policy(
            """{"SourceIP": "10.0.0.0/8", "TimeWindow": {"Days": "Sat", "Start": "22:00", "End": "02:00", "TimeZone": "Asia/Shanghai"}, "Action": "Allow"}""",
            """{"SourceIP": "10.0.0.0/8", "Identity": ["CN=x", "SAN:DNS=*.corp", "SAN:URI=spiffe://corp/*"], "Action": "Allow"}""",
            """{"SourceIP": "10.0.0.0/8", "Service": "other", "Action": "Allow"}""",
            """{"SourceIP": "2001:db8::/32", "PortRange": "1-100,443", "Action": "Deny"}""");
        var identity = new ClientIdentity("y", ["a.b.corp"], ["spiffe://other/x"]);
        var requests = new[]
        {
            Request("10.0.0.1", "10.0.0.2", 443, identity: identity, service: "crm"),
            Request("2001:db8::1", "2001:db8::2", 443, identity: identity),
        };
        IRuleSet[] sets = [new CompiledRuleSet(policy), new LinearRuleSet(policy)];
        foreach (var set in sets)
        {
            foreach (var request in requests)
            {
                _ = set.Decide(request); // Warm-up: JIT and the time zone's cached rules.
            }

            var i = 0;
            Assert.Equal(0, Allocations.FewestBytesOnThisThread(() => set.Decide(requests[i++ & 1]), iterations: 1000));
        }
    }
}
