using FastRelay.Routing.Discovery;
using Microsoft.Extensions.Time.Testing;

// These tests check that a cached answer is returned synchronously: reading .Result of a ValueTask that completed
// at once is the point (a lookup that had not completed would fail the test instead of blocking: FakeTimeProvider
// never moves by itself and every fetch is answered by the test).
#pragma warning disable CA2012, xUnit1031

namespace FastRelay.Core.Tests.Routing.Discovery;

/// <summary>The stale-while-revalidate cache, driven by hand with a fake clock and a source whose answers the test releases.</summary>
public sealed class RefreshingCacheTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new();
    private readonly ManualSource _source = new();

    private RefreshingCache<string, string> Create(int capacity = 100) => new(
        _source.FetchAsync,
        new RefreshingCacheOptions { Capacity = capacity, FetchTimeout = TimeSpan.FromMilliseconds(500) },
        _time,
        sameAnswer: StringComparer.Ordinal,
        fetched: (_, outcome, _) => _source.Fetched(outcome));

    [Fact]
    public async Task GetAsync_FirstLookup_WaitsForOneFetch_ThenHitsWithoutFetching()
    {
        var cache = Create();
        var first = cache.GetAsync("k");
        Assert.False(first.IsCompleted);
        _source.Answer("k", "a", Ttl);

        Assert.Equal(new CacheLookup<string>("a", CacheResult.Fetched), await first);
        var hit = cache.GetAsync("k");
        Assert.True(hit.IsCompletedSuccessfully); // Synchronous: no fetch in front of the caller.
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Hit), hit.Result);
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task GetAsync_ConcurrentMisses_ShareOneFetch()
    {
        var cache = Create();
        var lookups = Enumerable.Range(0, 10).Select(_ => cache.GetAsync("k").AsTask()).ToList();
        _source.Answer("k", "a", Ttl);

        var answers = await Task.WhenAll(lookups);
        Assert.All(answers, a => Assert.Equal("a", a.Value));
        Assert.Equal(1, _source.Fetches);
    }

    [Fact]
    public async Task GetAsync_AfterTtl_ServesStaleAtOnce_AndRefreshesOnceInBackground()
    {
        var cache = Create();
        await Fill(cache, "k", "a");

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        var stale = cache.GetAsync("k");
        var again = cache.GetAsync("k");
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Stale), stale.Result);
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Stale), again.Result);
        Assert.Equal(2, _source.Fetches); // One refresh for both stale lookups.

        _source.Answer("k", "b", Ttl);
        Assert.Equal(new CacheLookup<string>("b", CacheResult.Hit), cache.GetAsync("k").Result);
    }

    [Fact]
    public async Task GetAsync_JustBeforeTtl_HitsWithoutFetching_AndPrefetchesAfterEightyPercent()
    {
        var cache = Create();
        await Fill(cache, "k", "a");

        _time.Advance(TimeSpan.FromSeconds(47));
        Assert.Equal(CacheResult.Hit, cache.GetAsync("k").Result.Result);
        Assert.Equal(1, _source.Fetches);

        _time.Advance(TimeSpan.FromSeconds(2)); // 49 s: past 80 % of 60 s.
        Assert.Equal(CacheResult.Hit, cache.GetAsync("k").Result.Result);
        Assert.Equal(2, _source.Fetches);
    }

    [Fact]
    public async Task GetAsync_SameAnswerOnRefresh_KeepsTheCachedInstance()
    {
        var cache = Create();
        var original = new string('a', 3);
        await Fill(cache, "k", original);
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        _ = cache.GetAsync("k");
        _source.Answer("k", new string('a', 3), Ttl);

        Assert.Same(original, cache.GetAsync("k").Result.Value);
    }

    [Fact]
    public async Task GetAsync_FirstFetchFails_IsUnavailable_AndNextLookupsDoNotWait()
    {
        var cache = Create();
        var first = cache.GetAsync("k");
        _source.Fail("k", "HTTP 503");
        Assert.Equal(new CacheLookup<string>(null, CacheResult.Unavailable), await first);
        Assert.Equal([FetchOutcome.Failed], _source.Outcomes);

        // Within the failure TTL: answered at once, no new fetch.
        var soon = cache.GetAsync("k");
        Assert.True(soon.IsCompletedSuccessfully);
        Assert.Equal(CacheResult.Unavailable, soon.Result.Result);
        Assert.Equal(1, _source.Fetches);

        // After it: still answered at once (the caller falls back), with one background fetch; recovery follows.
        _time.Advance(RefreshingCacheOptions.DefaultFailureTtl);
        var later = cache.GetAsync("k");
        Assert.True(later.IsCompletedSuccessfully);
        Assert.Equal(2, _source.Fetches);
        _source.Answer("k", "a", Ttl);
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Hit), cache.GetAsync("k").Result);
    }

    [Fact]
    public async Task GetAsync_SourceSilent_UnavailableAfterTheTimeout_CountedAsTimeout()
    {
        var cache = Create();
        var first = cache.GetAsync("k").AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(first.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new CacheLookup<string>(null, CacheResult.Unavailable), await first.WaitAsync(TimeSpan.FromSeconds(5)));
        _source.WaitForOutcomes(1);
        Assert.Equal([FetchOutcome.Timeout], _source.Outcomes);
    }

    [Fact]
    public async Task GetAsync_RefreshFails_ServesLastGoodWithinStaleLimit_ThenNothing()
    {
        var cache = Create();
        await Fill(cache, "k", "a");
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Stale), cache.GetAsync("k").Result);
        _source.Fail("k", "connection refused");

        // Stale-if-error: still the last good answer until the stale limit.
        _time.Advance(RefreshingCacheOptions.DefaultStaleLimit - TimeSpan.FromSeconds(2));
        Assert.Equal(new CacheLookup<string>("a", CacheResult.Stale), cache.GetAsync("k").Result);
        _source.Fail("k", "connection refused");

        _time.Advance(TimeSpan.FromSeconds(2));
        var expired = cache.GetAsync("k");
        Assert.Equal(new CacheLookup<string>(null, CacheResult.Unavailable), expired.Result); // Failing key: no wait.
    }

    [Fact]
    public async Task GetAsync_PastCapacity_DropsTheLeastRecentlyUsed()
    {
        var cache = Create(capacity: 2);
        await Fill(cache, "a", "1");
        await Fill(cache, "b", "2");
        Assert.Equal(CacheResult.Hit, cache.GetAsync("a").Result.Result); // a is now more recent than b.
        await Fill(cache, "c", "3");

        Assert.Equal(2, cache.Count);
        Assert.Equal(CacheResult.Hit, cache.GetAsync("a").Result.Result);
        Assert.Equal(CacheResult.Hit, cache.GetAsync("c").Result.Result);
        var b = cache.GetAsync("b"); // Dropped: a miss again.
        Assert.False(b.IsCompleted);
        _source.Answer("b", "2", Ttl);
        Assert.Equal(CacheResult.Fetched, (await b).Result);
    }

    [Fact]
    public async Task GetAsync_ScanOfManyKeys_NeverHoldsMoreThanCapacity()
    {
        var cache = Create(capacity: 50);
        for (var i = 0; i < 1000; i++)
        {
            await Fill(cache, $"10.0.{i / 256}.{i % 256}", "x");
            Assert.True(cache.Count <= 50);
        }
    }

    private async Task Fill(RefreshingCache<string, string> cache, string key, string value)
    {
        var lookup = cache.GetAsync(key);
        _source.Answer(key, value, Ttl);
        Assert.Equal(value, (await lookup).Value);
    }

    /// <summary>
    /// A source whose fetches wait until the test answers them. xunit's synchronization context keeps the cache's
    /// continuation from running inline, so answering waits until the cache has stored the outcome.
    /// </summary>
    private sealed class ManualSource
    {
        private readonly Dictionary<string, TaskCompletionSource<CacheFill<string>>> _pending = [];
        private readonly List<FetchOutcome> _outcomes = [];

        public int Fetches { get; private set; }

        public List<FetchOutcome> Outcomes
        {
            get
            {
                lock (_outcomes)
                {
                    return [.. _outcomes];
                }
            }
        }

        public void Fetched(FetchOutcome outcome)
        {
            lock (_outcomes)
            {
                _outcomes.Add(outcome);
            }
        }

        public void WaitForOutcomes(int count) =>
            Assert.True(SpinWait.SpinUntil(() => Outcomes.Count >= count, TimeSpan.FromSeconds(10)), $"the cache stored {count} outcomes");

        public Task<CacheFill<string>> FetchAsync(string key, CancellationToken cancellationToken)
        {
            Fetches++;
            var pending = new TaskCompletionSource<CacheFill<string>>(); // Inline continuations: the cache is updated before Answer returns.
            _pending[key] = pending;
            cancellationToken.Register(() => pending.TrySetCanceled(cancellationToken));
            return pending.Task;
        }

        public void Answer(string key, string value, TimeSpan ttl) => Complete(key, CacheFill.Answer(value, ttl));

        public void Fail(string key, string why) => Complete(key, CacheFill.Failed<string>(why));

        private void Complete(string key, CacheFill<string> fill)
        {
            var before = Outcomes.Count;
            _pending[key].SetResult(fill);
            WaitForOutcomes(before + 1);
        }
    }
}
