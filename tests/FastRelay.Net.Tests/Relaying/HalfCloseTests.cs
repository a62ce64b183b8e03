using System.Net.Sockets;
using System.Text;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Relaying;

/// <summary>
/// A FIN one way must not stop the other way (the NetworkStream trap closes both; ghostunnel's
/// test-client-half-close-return-traffic guards the same).
/// </summary>
public sealed class HalfCloseTests
{
    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task ClientSendsFin_UpstreamStillAnswers_ClientGetsAnswerThenEof(string dataPath)
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.Start(backend.Target, flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        using var upstream = await backend.AcceptAsync();

        await client.SendAsync(Encoding.ASCII.GetBytes("request"), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        // The upstream reads the whole request, then EOF, and only then answers (like an HTTP/1.0 server).
        Assert.Equal("request", Encoding.ASCII.GetString(await upstream.ReceiveToEndAsync()));
        await upstream.SendAsync(Encoding.ASCII.GetBytes("answer after your FIN"), SocketFlags.None);
        upstream.Shutdown(SocketShutdown.Send);

        Assert.Equal("answer after your FIN", Encoding.ASCII.GetString(await client.ReceiveToEndAsync()));
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }

    [Theory]
    [MemberData(nameof(DataPaths.Both), MemberType = typeof(DataPaths))]
    public async Task UpstreamSendsFin_ClientKeepsSending_UpstreamGetsEverything(string dataPath)
    {
        using var backend = new ManualBackend();
        await using var edge = TestEdge.Start(backend.Target, flags: ("data-path", dataPath));
        using var client = await SocketTestExtensions.ConnectAsync(edge.EndPoint);
        using var upstream = await backend.AcceptAsync();

        await upstream.SendAsync(Encoding.ASCII.GetBytes("banner"), SocketFlags.None);
        upstream.Shutdown(SocketShutdown.Send);
        Assert.Equal("banner", Encoding.ASCII.GetString(await client.ReceiveToEndAsync()));

        // The client's direction is still open: 1 MiB goes through after the upstream's FIN.
        var payload = SocketTestExtensions.RandomBytes(1 << 20, seed: 7);
        await client.SendAsync(payload, SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(payload, await upstream.ReceiveToEndAsync());

        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
    }
}
