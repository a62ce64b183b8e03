using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// Two gateways, all active; one cannot reach the target (its dial fails: RST UNREACHABLE). A stream it refuses is
/// retried on the other gateway, invisibly to the caller (issue 6, "retry once elsewhere"); with no gateway retries
/// the refusal reaches the caller; a FORBIDDEN_TARGET (policy) is never retried.
/// </summary>
public sealed class GatewayRetryTests
{
    private const int Sessions = 20;

    [Fact]
    public async Task OpenStream_GatewayCannotDialTheTarget_RetriedOnTheOtherGateway()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var broken = tunnel.StartGateway(dialer: new FakeUpstreamDialer(echo.EndPoint.ToString()));
        var good = tunnel.StartGateway();
        var pool = tunnel.StartPool([broken.EndPoint, good.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 1)));

        for (var i = 0; i < Sessions; i++)
        {
            Assert.Equal([1, 2, 3], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [1, 2, 3]).WithTimeout());
        }

        Assert.True(broken.Stats.StreamsRejected > 0, "round-robin never tried the broken gateway");
        Assert.Equal(Sessions, good.Stats.StreamsAccepted);
    }

    [Fact]
    public async Task OpenStream_NoGatewayRetries_TheRefusalReachesTheCaller()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var broken = tunnel.StartGateway(dialer: new FakeUpstreamDialer(echo.EndPoint.ToString()));
        var good = tunnel.StartGateway();
        var pool = tunnel.StartPool([broken.EndPoint, good.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 1)));

        var refused = 0;
        for (var i = 0; i < Sessions; i++)
        {
            var opened = await pool.OpenStreamAsync(TunnelTarget.ForAddress(echo.EndPoint.Address, echo.EndPoint.Port), TimeSpan.FromSeconds(5), CancellationToken.None, gatewayRetries: 0);
            if (opened.Stream is { } stream)
            {
                stream.Abort();
                stream.Dispose();
            }
            else
            {
                Assert.Equal(TunnelErrorCode.Unreachable, opened.Error);
                refused++;
            }
        }

        Assert.True(refused > 0, "round-robin never tried the broken gateway");
        Assert.Equal(refused, broken.Stats.StreamsRejected); // Counted before the RST is sent.
        Assert.True(await TestTimeouts.EventuallyAsync(() => good.Stats.StreamsAccepted >= Sessions - refused)); // Counted after OPEN_OK.
        Assert.Equal(Sessions - refused, good.Stats.StreamsAccepted);
    }

    [Fact]
    public async Task OpenStream_ForbiddenTarget_IsNotRetried()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        const string denyAll = """{"SecurityGroups": [{"Name": "Exit", "Rules": [{"Protocol": "TCP", "PortRange": "1", "DestinationIP": "127.0.0.1/32", "Action": "Allow"}]}]}""";
        var strict = tunnel.StartGateway(policyJson: denyAll);
        var open = tunnel.StartGateway();
        var pool = tunnel.StartPool([strict.EndPoint, open.EndPoint], prewarm: 1);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 1)));

        var forbidden = 0;
        for (var i = 0; i < Sessions; i++)
        {
            var opened = await pool.OpenStreamAsync(TunnelTarget.ForAddress(echo.EndPoint.Address, echo.EndPoint.Port), TimeSpan.FromSeconds(5), CancellationToken.None);
            if (opened.Stream is { } stream)
            {
                stream.Abort();
                stream.Dispose();
            }
            else
            {
                Assert.Equal(TunnelErrorCode.ForbiddenTarget, opened.Error);
                forbidden++;
            }
        }

        Assert.True(forbidden > 0, "round-robin never tried the strict gateway");
        Assert.True(await TestTimeouts.EventuallyAsync(() => open.Stats.StreamsAccepted >= Sessions - forbidden)); // Counted after OPEN_OK.
        Assert.Equal(Sessions - forbidden, open.Stats.StreamsAccepted); // Not one denial was tried again on the other gateway.
    }
}
