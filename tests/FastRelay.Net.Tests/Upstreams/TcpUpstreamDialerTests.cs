using System.Net;
using FastRelay.Backends;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Upstreams;

namespace FastRelay.Net.Tests.Upstreams;

/// <summary>The dialer asks its guard about the peer a connect reaches, not about how the target was spelt.</summary>
public sealed class TcpUpstreamDialerTests
{
    [Theory]
    [InlineData("0.0.0.0", "127.0.0.1")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("::ffff:0.0.0.0", "127.0.0.1")]
    public async Task Dial_GuardSeesTheAddressTheConnectReaches(string target, string reached)
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var guard = new RecordingGuard(allow: true);

        var result = await new TcpUpstreamDialer().DialAsync(new TargetOptions(target, echo.EndPoint.Port, 1), TimeSpan.FromSeconds(5), guard, CancellationToken.None);

        using var socket = result.Socket;
        Assert.NotNull(socket);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(reached), echo.EndPoint.Port), Assert.Single(guard.Asked));
        Assert.Equal(IPAddress.Parse(reached), ((IPEndPoint)socket.RemoteEndPoint!).Address);
    }

    [Theory]
    [InlineData("0.0.0.0", "127.0.0.1")]
    [InlineData("::", "::1")]
    [InlineData("::%1", "::1")] // A scope id does not make it another address.
    [InlineData("::ffff:0.0.0.0", "127.0.0.1")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")]
    public void ReachedAddress_IsWhatAConnectReaches(string address, string reached) =>
        Assert.Equal(IPAddress.Parse(reached), ReachedAddress.Of(IPAddress.Parse(address)));

    [Fact]
    public async Task Dial_TheUnspecifiedAddressDeniedAsLoopback_IsNeverDialled()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);

        var result = await new TcpUpstreamDialer().DialAsync(new TargetOptions("0.0.0.0", echo.EndPoint.Port, 1), TimeSpan.FromSeconds(5), new RecordingGuard(allow: false), CancellationToken.None);

        Assert.Null(result.Socket);
        Assert.True(result.Denied);
        Assert.Equal(0, echo.AcceptedConnections);
    }

    private sealed class RecordingGuard(bool allow) : IDialGuard
    {
        public List<IPEndPoint> Asked { get; } = [];

        public bool Allows(IPEndPoint upstream)
        {
            Asked.Add(upstream);
            return allow;
        }
    }
}
