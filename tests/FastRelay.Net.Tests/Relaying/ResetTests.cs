using System.Net.Sockets;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>A reset on one side ends both sides promptly, and the close reason names the side that failed.</summary>
public sealed class ResetTests
{
    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task ClientResetsMidStream_UpstreamIsClosed_ReasonIsClientReset(string dataPath)
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.Start(backend.Target, flags: ("data-path", dataPath));
        var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        using var upstream = await backend.AcceptAsync();
        await client.SendAsync(new byte[100_000], SocketFlags.None);
        await upstream.ReceiveExactlyAsync(100_000);

        client.Reset();

        Assert.True(await upstream.IsClosedByPeerAsync(TestTimeouts.Default));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.ClientReset] == 1));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.ActiveConnections == 0));
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task UpstreamResetsMidStream_ClientIsReset_ReasonIsUpstreamReset(string dataPath)
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.Start(backend.Target, flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        var upstream = await backend.AcceptAsync();
        await upstream.SendAsync(new byte[1000], SocketFlags.None);
        await client.ReceiveExactlyAsync(1000);

        upstream.Reset();

        // The client must learn that the stream did not end well: a reset, not a clean EOF.
        var error = await Assert.ThrowsAsync<SocketException>(() => client.ReceiveAsync(new byte[1024], SocketFlags.None).WithTimeout());
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.UpstreamReset] == 1));
    }
}
