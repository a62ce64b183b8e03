using System.Net;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

// These tests check that a cached answer is returned synchronously: reading .Result of a ValueTask that completed
// at once is the point (a lookup that had not completed would fail the test instead of blocking: FakeTimeProvider
// never moves by itself and every fetch is answered by the test).
#pragma warning disable CA2012, xUnit1031

namespace FastRelay.Core.Tests.Routing.Discovery;

/// <summary>
/// Issue 6's "discovery cache hits and expiry with a fake clock; discovery down -> default backend", per (client IP, service).
/// </summary>
public sealed class DiscoveryCacheTests
{
    private static readonly IReadOnlyList<TargetOptions> Defaults = [new("10.9.9.9", 443, 1)];
    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedSource _source = new();

    private DiscoveryCache Create() => new(_source, new DiscoveryOptions
    {
        Endpoints = [new DiscoveryEndpoint("api", new Uri("http://discovery.test/pick")), new DiscoveryEndpoint("db", new Uri("http://discovery.test/pick"))],
    }, _time, NullLogger.Instance);

    [Fact]
    public async Task CandidatesAsync_CachedFor60s_PerClientAndService()
    {
        var cache = Create();
        _source.Answers["api/10.0.0.2"] = "10.1.0.2:443";
        _source.Answers["api/10.0.0.3"] = "10.1.0.3:443";
        _source.Answers["db/10.0.0.2"] = "10.2.0.2:5432";

        var b = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults);
        var c = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.3"), Defaults);
        var db = await cache.CandidatesAsync("db", IPAddress.Parse("10.0.0.2"), Defaults);
        Assert.Equal("10.1.0.2", Assert.Single(b).Host);
        Assert.Equal("10.1.0.3", Assert.Single(c).Host);
        Assert.Equal("10.2.0.2", Assert.Single(db).Host);
        Assert.Equal(3, _source.Requests.Count);

        // Within the TTL: the same list instance, synchronously, no request.
        _source.Answers["api/10.0.0.2"] = "10.1.0.99:443";
        _time.Advance(TimeSpan.FromSeconds(47));
        var hit = cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults);
        Assert.True(hit.IsCompletedSuccessfully);
        Assert.Same(b, hit.Result);
        Assert.Equal(3, _source.Requests.Count);
        Assert.Equal(1, cache.Services["api"].Hits);

        // Past the TTL: the old answer at once (stale), the new one after the background request.
        _time.Advance(TimeSpan.FromSeconds(14));
        Assert.Same(b, cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults).Result);
        Assert.Equal(1, cache.Services["api"].Stale);
        Assert.Equal("10.1.0.99", Assert.Single(await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults)).Host);
        Assert.Equal(4, _source.Requests.Count);
    }

    [Fact]
    public async Task CandidatesAsync_EqualAnswersForDifferentClients_ShareOneInstance()
    {
        // The picker keeps its weighted round-robin position per list instance: one per client would restart the
        // schedule for every client, and a 20 % canary would rarely be picked by clients with few sessions.
        var cache = Create();
        _source.Answers["api/10.0.0.2"] = "10.1.0.2:443";
        _source.Answers["api/10.0.0.3"] = "10.1.0.2:443";
        _source.Answers["api/10.0.0.4"] = "10.1.0.3:443";

        var first = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults);
        var second = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.3"), Defaults);
        var other = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.4"), Defaults);

        Assert.Equal("10.1.0.2", Assert.Single(first).Host);
        Assert.Same(first, second);
        Assert.NotSame(first, other);
    }

    [Fact]
    public async Task CandidatesAsync_DiscoveryDown_ReturnsTheDefaultBackends_AndCountsIt()
    {
        var cache = Create();
        _source.Down = true;

        var targets = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults);

        Assert.Same(Defaults, targets);
        var counts = cache.Services["api"];
        Assert.Equal((1, 1, 1, 0), (counts.Misses, counts.Defaults, counts.RequestsFailed, counts.RequestsOk));
    }

    [Fact]
    public async Task CandidatesAsync_DiscoveryRecovers_WithinTheFailureTtl()
    {
        var cache = Create();
        _source.Down = true;
        Assert.Same(Defaults, await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults));

        _source.Down = false;
        _source.Answers["api/10.0.0.2"] = "10.1.0.2:443";
        _time.Advance(RefreshingCacheOptions.DefaultFailureTtl);
        Assert.Same(Defaults, await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults)); // Not waited for: refreshed behind.
        Assert.Equal("10.1.0.2", Assert.Single(await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults)).Host);
    }

    [Fact]
    public async Task CandidatesAsync_AfterAFailure_ANewClientDoesNotWait_ThenGetsItsAnswer()
    {
        var cache = Create();
        _source.Down = true;
        Assert.Same(Defaults, await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults)); // Waited (at once here), failed.

        // A new client while the service is failing: the defaults at once, the request behind; then its answer.
        _source.Down = false;
        _source.Hang = true;
        var other = cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.3"), Defaults);
        Assert.True(other.IsCompletedSuccessfully);
        Assert.Same(Defaults, other.Result);
        _source.Hang = false;
        _source.Release("api/10.0.0.3", "10.1.0.3:443");

        // The cache stores the answer on the pool (xunit's context): wait until it has counted it.
        Assert.True(SpinWait.SpinUntil(() => cache.Services["api"].RequestsOk == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal("10.1.0.3", Assert.Single(await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.3"), Defaults)).Host);
    }

    [Fact]
    public async Task CandidatesAsync_ServiceWithoutDiscovery_ReturnsDefaultsWithoutAsking()
    {
        var cache = Create();
        Assert.Same(Defaults, await cache.CandidatesAsync("other", IPAddress.Parse("10.0.0.2"), Defaults));
        Assert.Empty(_source.Requests);
    }

    [Fact]
    public async Task CandidatesAsync_IPv4MappedClient_SharesTheIPv4Key()
    {
        var cache = Create();
        _source.Answers["api/10.0.0.2"] = "10.1.0.2:443";
        var v4 = await cache.CandidatesAsync("api", IPAddress.Parse("10.0.0.2"), Defaults);
        Assert.Same(v4, await cache.CandidatesAsync("api", IPAddress.Parse("::ffff:10.0.0.2"), Defaults));
        Assert.Single(_source.Requests);
    }

    /// <summary>Answers at once from a table ("service/client" to one target), or fails when Down.</summary>
    private sealed class ScriptedSource : IDiscoverySource
    {
        public Dictionary<string, string> Answers { get; } = [];

        public List<string> Requests { get; } = [];

        public bool Down { get; set; }

        public bool Hang { get; set; }

        private Dictionary<string, TaskCompletionSource<CacheFill<IReadOnlyList<TargetOptions>>>> Hanging { get; } = [];

        public void Release(string key, string target)
        {
            Answers[key] = target;
            var hanging = Hanging[key];
            hanging.SetResult(Answer(target));
        }

        public Task<CacheFill<IReadOnlyList<TargetOptions>>> FetchAsync(string service, IPAddress client, CancellationToken cancellationToken)
        {
            var key = $"{service}/{client}";
            Requests.Add(key);
            if (Hang)
            {
                var hanging = new TaskCompletionSource<CacheFill<IReadOnlyList<TargetOptions>>>();
                Hanging[key] = hanging;
                return hanging.Task;
            }

            if (Down || !Answers.TryGetValue(key, out var answer))
            {
                return Task.FromResult(CacheFill.Failed<IReadOnlyList<TargetOptions>>("connection refused"));
            }

            return Task.FromResult(Answer(answer));
        }

        private static CacheFill<IReadOnlyList<TargetOptions>> Answer(string target)
        {
            var colon = target.IndexOf(':', StringComparison.Ordinal);
            var port = int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return CacheFill.Answer<IReadOnlyList<TargetOptions>>([new TargetOptions(target[..colon], port, 1)], TimeSpan.Zero);
        }
    }
}
