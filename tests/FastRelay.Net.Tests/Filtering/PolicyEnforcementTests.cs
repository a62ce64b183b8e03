using System.Net;
using System.Net.Sockets;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Filtering;

/// <summary>
/// The security groups on real sockets: the Inbound checkpoint at accept, the Outbound checkpoint before
/// each dial, counts per rule, FilterDenied as the one close reason, and a policy swap that applies to the
/// next connection without touching established ones.
/// </summary>
public sealed class PolicyEnforcementTests
{
    private static readonly IPAddress Allowed = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.3");

    private static string Policy(string inboundSource, string outboundDestination) => $$"""
        {"SecurityGroups": [
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "{{inboundSource}}", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "{{outboundDestination}}", "Action": "Allow"}]}
        ]}
        """;

    [Fact]
    public async Task Inbound_AllowedSourceRelays_OtherSourceClosedAtOnce_CountedPerRule()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithPolicy(echo.EndPoint.ToString(), Policy("127.0.0.2/32", "127.0.0.1"));

        using var denied = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Other);
        Assert.True(await denied.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
        Assert.Equal(0, echo.AcceptedConnections); // Denied before any dial.

        using var allowed = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Allowed);
        await allowed.SendAsync(new byte[] { 5 }, SocketFlags.None);
        Assert.Equal(5, (await allowed.ReceiveExactlyAsync(1))[0]);

        var hits = edge.Server.Policy.Hits;
        Assert.Equal(1, hits["default deny"]);   // The denied client at Inbound.
        Assert.Equal(1, hits["Desk rule 0"]);     // The allowed client at Inbound.
        Assert.Equal(1, hits["Backends rule 0"]); // Its dial at Outbound.
    }

    [Fact]
    public async Task Outbound_UpstreamNotAllowed_ClosedWithoutDialling_ReasonFilterDenied()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithPolicy(echo.EndPoint.ToString(), Policy("127.0.0.0/8", "10.0.0.0/8"));

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Allowed);

        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
        Assert.Equal(0, echo.AcceptedConnections); // No packet went to a target the policy forbids.
    }

    [Fact]
    public async Task Replace_AppliesToNewConnections_EstablishedOneKeepsWorking()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithPolicy(echo.EndPoint.ToString(), Policy("127.0.0.0/8", "127.0.0.1"));
        using var established = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Other);
        await established.SendAsync(new byte[] { 1 }, SocketFlags.None);
        await established.ReceiveExactlyAsync(1);

        edge.Server.Policy.Replace(PolicyLoader.Load(Policy("127.0.0.2/32", "127.0.0.1")));
        Assert.Equal(2, edge.Server.Policy.Version);

        using var late = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Other);
        Assert.True(await late.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        await established.SendAsync(new byte[] { 2 }, SocketFlags.None);
        Assert.Equal(2, (await established.ReceiveExactlyAsync(1))[0]);
    }

    [Fact]
    public async Task NoPolicy_EverythingAllowed()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.Start(echo.EndPoint.ToString());
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, Other);
        await client.SendAsync(new byte[] { 3 }, SocketFlags.None);
        Assert.Equal(3, (await client.ReceiveExactlyAsync(1))[0]);
        Assert.False(edge.Server.Policy.IsFiltering);
    }
}

/// <summary>DryRun groups and policies: evaluated, counted and logged, never enforced (staged roll-outs).</summary>
public sealed class DryRunTests
{
    [Fact]
    public async Task DryRunGroupThatDenies_ConnectionStillRelays_DenyIsCounted()
    {
        const string policy = """
            {"SecurityGroups": [
              {"Name": "Block-Desk-3", "DryRun": true, "Rules": [{"SourceIP": "127.0.0.3", "Action": "Deny"}]},
              {"Name": "Desk", "Rules": [{"SourceIP": "127.0.0.0/8", "Action": "Allow"}]},
              {"Name": "Backends", "Rules": [{"DestinationIP": "127.0.0.1", "Action": "Allow"}]}
            ]}
            """;
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithPolicy(echo.EndPoint.ToString(), policy);

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint, IPAddress.Parse("127.0.0.3"));
        await client.SendAsync(new byte[] { 9 }, SocketFlags.None);
        Assert.Equal(9, (await client.ReceiveExactlyAsync(1))[0]);
        Assert.Equal(1, edge.Server.Policy.Hits["Block-Desk-3 rule 0"]);
    }

    [Fact]
    public async Task WholePolicyDryRun_DefaultDenyIsCountedButNothingIsEnforced()
    {
        const string policy = """{"DryRun": true, "SecurityGroups": [{"Name": "Only-10", "Rules": [{"SourceIP": "10.0.0.0/8", "Action": "Allow"}]}]}""";
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartWithPolicy(echo.EndPoint.ToString(), policy);

        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        await client.SendAsync(new byte[] { 4 }, SocketFlags.None);
        Assert.Equal(4, (await client.ReceiveExactlyAsync(1))[0]);
        Assert.Equal(2, edge.Server.Policy.Hits["default deny"]); // Inbound and Outbound would both have denied.
    }
}

/// <summary>The identity checkpoint the TLS listener will call after each handshake (issue 3 wires the caller).</summary>
public sealed class IdentityCheckpointTests
{
    [Fact]
    public void CheckAfterHandshake_IdentityRulesMatchOnlyWithTheCertificate()
    {
        var policy = PolicyLoader.Load("""
            {"SecurityGroups": [{"Name": "Desks", "Rules": [
              {"SourceIP": "127.0.0.0/8", "Identity": "SAN:DNS=*.desk.corp", "Action": "Allow"}]}]}
            """);
        var gate = new PolicyGate(policy, TimeProvider.System);
        var client = IPAddress.Parse("127.0.0.2");
        var listener = new IPEndPoint(IPAddress.Loopback, 8443);

        // At accept there is no certificate yet: the identity rule cannot match.
        Assert.False(gate.CheckInbound(client, listener, "crm")!.Value.IsAllowed);

        var desk = new ClientIdentity("desk-7", ["desk-7.desk.corp"], []);
        var printer = new ClientIdentity("printer", ["printer.lab.corp"], []);
        Assert.True(gate.CheckAfterHandshake(client, listener, "crm", desk)!.Value.IsAllowed);
        Assert.False(gate.CheckAfterHandshake(client, listener, "crm", printer)!.Value.IsAllowed);
        Assert.Equal(1, gate.Hits["Desks rule 0"]);
    }

    [Fact]
    public void BeforeHandshake_ATentativeDecisionIsNotCounted_AFinalDenialIsEvenUnderADryRunGroup()
    {
        // Each connection counts once: a tentative match (an Identity rule taken to hold) waits for the after-handshake
        // check; an enforced final denial ends the connection here, so it is counted here, dry-run groups or not.
        var policy = PolicyLoader.Load("""
            {"SecurityGroups": [
              {"Name": "Trial", "DryRun": true, "Rules": [{"SourceIP": "127.0.0.0/8", "Identity": "CN=desk-*", "Action": "Allow", "Priority": 1}]},
              {"Name": "Block", "Rules": [{"SourceIP": "127.0.0.9/32", "Action": "Deny", "Priority": 2}]},
              {"Name": "Desks", "Rules": [{"SourceIP": "127.0.0.0/8", "Identity": "CN=desk-*", "Action": "Allow", "Priority": 3}]}]}
            """);
        var gate = new PolicyGate(policy, TimeProvider.System);
        var listener = new IPEndPoint(IPAddress.Loopback, 8443);

        var blocked = gate.CheckInboundBeforeHandshake(IPAddress.Parse("127.0.0.9"), listener, clientCertificates: true, out var blockedCounted);
        Assert.False(blocked!.Value.IsAllowed);
        Assert.True(PolicyGate.IsFinalBeforeHandshake(blocked.Value));
        Assert.True(blockedCounted); // Ends here: nothing later would count it.

        var tentative = gate.CheckInboundBeforeHandshake(IPAddress.Parse("127.0.0.2"), listener, clientCertificates: true, out var tentativeCounted);
        Assert.False(PolicyGate.IsFinalBeforeHandshake(tentative!.Value));
        Assert.False(tentativeCounted);
        var desk = new ClientIdentity("desk-7", [], []);
        Assert.True(gate.CheckAfterHandshake(IPAddress.Parse("127.0.0.2"), listener, "crm", desk, count: !tentativeCounted)!.Value.IsAllowed);

        var hits = gate.Hits;
        Assert.Equal(2, hits.Values.Sum()); // One per connection.
    }
}
