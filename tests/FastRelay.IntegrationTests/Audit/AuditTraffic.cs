using System.Net;
using System.Net.Sockets;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>Client traffic through a test edge for the audit tests.</summary>
internal static class AuditTraffic
{
    /// <summary>The policy: 127.0.0.1 and 127.0.0.2 allowed by group Desk, 127.0.0.3 denied by group Blocked; upstreams on 127.0.0.1 allowed.</summary>
    public const string Policy = """
        {"SecurityGroups": [
          {"Name": "Blocked", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.3/32", "Action": "Deny"}]},
          {"Name": "Desk", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.0/30", "Action": "Allow"}]},
          {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
        ]}
        """;

    /// <summary>One echo exchange of <paramref name="bytes"/> bytes from <paramref name="from"/>, then a clean close.</summary>
    public static async Task ExchangeAsync(IPEndPoint edge, string from, int bytes)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge, IPAddress.Parse(from));
        var payload = SocketTestExtensions.RandomBytes(bytes, bytes);
        await client.SendAsync(payload, SocketFlags.None);
        Assert.Equal(payload, await client.ReceiveExactlyAsync(bytes));
        client.Shutdown(SocketShutdown.Send);
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>A connection from <paramref name="from"/> that the edge closes at once (denied).</summary>
    public static async Task DeniedAsync(IPEndPoint edge, string from)
    {
        using var client = await SocketTestExtensions.ConnectAsync(edge, IPAddress.Parse(from));
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
    }
}
