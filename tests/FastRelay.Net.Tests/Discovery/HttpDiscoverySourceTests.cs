using System.Net;
using FastRelay.Configuration;
using FastRelay.Discovery;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Discovery;

/// <summary>The discovery client against a real HTTP endpoint on loopback: how many lookups it runs at once.</summary>
public sealed class HttpDiscoverySourceTests
{
    [Fact]
    public async Task ABurstOfNewClients_AtMostTheCapInFlight_EveryLookupAnswered()
    {
        // 150 client addresses at once (a scan, a reconnect storm): without a cap, 150 sockets and 150 body buffers.
        var inFlight = 0;
        var most = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var endpoint = new FakeDiscoveryServer(async _ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            if (now >= HttpDiscoverySource.MaxConcurrentRequests)
            {
                gate.TrySetResult(); // The cap is reached: let them all go.
            }

            await gate.Task.WaitAsync(TimeSpan.FromSeconds(3)).ContinueWith(_ => { }, TaskScheduler.Default);
            Interlocked.Decrement(ref inFlight);
            return (200, "text/plain", "10.1.2.3:443");
        });
        var options = new DiscoveryOptions { Endpoints = [new DiscoveryEndpoint("svc", new Uri(endpoint.Url))], Timeout = TimeSpan.FromSeconds(30) };
        var source = new HttpDiscoverySource(options, allowTunnel: false);

        var lookups = Enumerable.Range(1, 150).Select(i => source.FetchAsync("svc", IPAddress.Parse($"10.9.{i / 200}.{i % 200 + 1}"), CancellationToken.None));
        var answers = await Task.WhenAll(lookups).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(answers, a => Assert.Equal("10.1.2.3", Assert.Single(a.Value!).Host));
        Assert.InRange(Volatile.Read(ref most), 2, HttpDiscoverySource.MaxConcurrentRequests);
        Assert.Equal(150, endpoint.Requests.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
