using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the discovery lookup every new connection of a route with <c>--discovery</c> makes
/// (<see cref="DiscoveryCache.CandidatesAsync"/>, a cache hit: one lock, a dictionary lookup by (service, client IP),
/// an LRU move). Must allocate 0 B. Keys sweep one client to a full default-sized table (100,000 clients), where the
/// dictionary and the LRU list no longer fit in cache. Baseline: the route's own targets, no discovery.
/// </summary>
[MemoryDiagnoser]
public class DiscoveryCacheBench
{
    private static readonly IReadOnlyList<TargetOptions> Defaults = [new("10.9.9.9", 443, 1)];
    private DiscoveryCache _cache = null!;
    private IPAddress[] _clients = [];
    private int _next;

    [Params(1, 1000, 100_000)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new DiscoveryCache(new FixedSource(), new DiscoveryOptions
        {
            Endpoints = [new DiscoveryEndpoint("api", new Uri("http://discovery.test/pick"))],
            Ttl = TimeSpan.FromHours(1),
        }, TimeProvider.System, NullLogger.Instance);
        _clients = Enumerable.Range(0, Clients).Select(i => new IPAddress(BitConverter.GetBytes(0x0A000000 + i))).ToArray();
        foreach (var client in _clients)
        {
            _ = _cache.CandidatesAsync("api", client, Defaults).AsTask().GetAwaiter().GetResult(); // Fill: every lookup below is a hit.
        }
    }

    [Benchmark(Baseline = true)]
    public IReadOnlyList<TargetOptions> NoDiscovery() => Completed(_cache.CandidatesAsync("static", _clients[0], Defaults));

    [Benchmark]
    public IReadOnlyList<TargetOptions> CachedHit() => Completed(_cache.CandidatesAsync("api", _clients[_next++ % _clients.Length], Defaults));

    // A hit completes synchronously; anything else would be a bug this benchmark should make loud.
    private static IReadOnlyList<TargetOptions> Completed(ValueTask<IReadOnlyList<TargetOptions>> lookup) =>
        lookup.IsCompletedSuccessfully ? lookup.Result : throw new InvalidOperationException("the lookup did not complete synchronously");

    private sealed class FixedSource : IDiscoverySource
    {
        private static readonly IReadOnlyList<TargetOptions> Answer = [new("10.1.0.1", 443, 1)];

        public Task<CacheFill<IReadOnlyList<TargetOptions>>> FetchAsync(string service, IPAddress client, CancellationToken cancellationToken) =>
            Task.FromResult(CacheFill.Answer(Answer, TimeSpan.Zero));
    }
}
