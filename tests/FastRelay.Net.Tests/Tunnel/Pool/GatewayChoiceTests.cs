using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Pool;

namespace FastRelay.Net.Tests.Tunnel.Pool;

/// <summary>
/// The gateway of a new stream is chosen by power-of-two-choices on open streams (TunnelPool.TryReserve), among
/// gateways with a usable connection only: streams held open spread evenly, and a gateway that dies is out of the
/// choice at once.
/// </summary>
public sealed class GatewayChoiceTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task OpenStream_TwoGateways_HeldStreamsSpreadEvenly_ThenADeadGatewayIsSkipped()
    {
        await using var echo = LoopbackBackend.Start(Loopback, BackendMode.Echo);
        await using var tunnel = new TunnelFixture();
        var first = tunnel.StartGateway();
        var second = tunnel.StartGateway();
        var pool = tunnel.StartPool([first.EndPoint, second.EndPoint], prewarm: 2);
        Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways.All(g => g.UsableConnections == 2)));

        var leases = new List<TunnelLease>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                leases.Add(await OpenAsync(pool, echo.EndPoint));

                // Two gateways: both are always sampled, so the one with fewer open streams always wins.
                Assert.InRange(pool.Gateways[0].OpenStreams - pool.Gateways[1].OpenStreams, -1, 1);
            }

            await first.StopAsync(TimeSpan.Zero);
            Assert.True(await TestTimeouts.EventuallyAsync(() => pool.Gateways[0].UsableConnections == 0));
            var onSecond = pool.Gateways[1].OpenStreams;
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal([9], await TunnelFixture.EchoAsync(pool, echo.EndPoint, [9]).WithTimeout());
            }

            Assert.Equal(onSecond + 10, second.Stats.StreamsAccepted);
        }
        finally
        {
            foreach (var lease in leases)
            {
                lease.Abort();
                lease.Dispose();
            }
        }
    }

    private static async Task<TunnelLease> OpenAsync(TunnelPool pool, IPEndPoint target)
    {
        var opened = await pool.OpenStreamAsync(TunnelTarget.ForAddress(target.Address, target.Port), TimeSpan.FromSeconds(5), CancellationToken.None).AsTask().WithTimeout();
        return opened.Stream ?? throw new InvalidOperationException($"{opened.Error} {opened.Detail}");
    }
}
