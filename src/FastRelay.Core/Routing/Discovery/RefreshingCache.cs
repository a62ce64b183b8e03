using System.Diagnostics;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// A bounded cache of answers that are fetched from somewhere slow (a discovery endpoint, a DNS server) and
/// expire: fresh answers are returned at once, expired ones too while one background fetch per key renews them
/// (stale-while-revalidate, RFC 5861 §3), so the fetch's latency never sits in front of a caller that has
/// something cached. Only a key with nothing usable waits, for at most <see cref="RefreshingCacheOptions.FetchTimeout"/>,
/// and every caller waiting on one key shares one fetch.
/// </summary>
/// <remarks>
/// <para>Failures: the last good answer is served for up to <see cref="RefreshingCacheOptions.StaleLimit"/> past its
/// expiry (stale-if-error, RFC 5861 §4); without one the lookup is <see cref="CacheResult.Unavailable"/> and the
/// caller falls back. A failure is remembered for only <see cref="RefreshingCacheOptions.FailureTtl"/>, and a key
/// whose last fetch failed never makes a caller wait again: it is refreshed in the background.</para>
/// <para>Memory: at most <see cref="RefreshingCacheOptions.Capacity"/> keys, least recently used dropped first.</para>
/// <para>Pure (the clock is a <see cref="TimeProvider"/>, the fetch a delegate). Thread-safe: one short lock per lookup,
/// which allocates nothing on a hit.</para>
/// </remarks>
public sealed class RefreshingCache<TKey, TValue>
    where TKey : notnull
    where TValue : class
{
    private readonly Func<TKey, CancellationToken, Task<CacheFill<TValue>>> _fetch;
    private readonly Action<TKey, FetchOutcome, string?>? _fetched;
    private readonly IEqualityComparer<TValue>? _sameAnswer;
    private readonly RefreshingCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<TKey, Entry> _entries;

    // Equal answers of different keys share one instance: the picker keeps its weighted round-robin position per list
    // instance, so a fresh instance per client would restart the schedule for every client (always the heaviest target
    // first) and a 20 % canary would see almost no sessions. Bounded: cleared when it outgrows InternLimit.
    private readonly Dictionary<TValue, TValue>? _interned;
    private const int InternLimit = 4096;
    private readonly LinkedList<Entry> _recency = new(); // Most recently used first.
    private readonly Lock _lock = new();
    private readonly long _staleTicks;
    private readonly long _failureTicks;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="fetch">Fetches one key; must honour the token (cancelled after the fetch timeout) and return failures as values.</param>
    /// <param name="options">Capacity and lifetimes.</param>
    /// <param name="time">The clock.</param>
    /// <param name="keys">Compares keys (DNS names ignore case); null for the default.</param>
    /// <param name="sameAnswer">When a refresh brings an answer equal to the cached one, the cached instance is kept
    /// (callers may key their own state by instance); null to always take the new one.</param>
    /// <param name="fetched">Told of every fetch's outcome (metrics, log); called outside the lock, must not throw.</param>
    public RefreshingCache(Func<TKey, CancellationToken, Task<CacheFill<TValue>>> fetch, RefreshingCacheOptions options, TimeProvider time,
        IEqualityComparer<TKey>? keys = null, IEqualityComparer<TValue>? sameAnswer = null, Action<TKey, FetchOutcome, string?>? fetched = null)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 1);
        _fetch = fetch;
        _options = options;
        _time = time;
        _sameAnswer = sameAnswer;
        _interned = sameAnswer is null ? null : new Dictionary<TValue, TValue>(sameAnswer);
        _fetched = fetched;
        _entries = new Dictionary<TKey, Entry>(Math.Min(options.Capacity, 1024), keys);
        _staleTicks = ToTimestampTicks(options.StaleLimit);
        _failureTicks = ToTimestampTicks(options.FailureTtl);
    }

    /// <summary>Keys held now (at most the capacity).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The answer for <paramref name="key"/>: synchronously when something usable is cached (starting a background
    /// refresh when it is old), else after one shared fetch of at most the fetch timeout. Never throws for fetch failures.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="mayWait">False to never wait: with nothing usable cached the lookup is <see cref="CacheResult.Unavailable"/>
    /// at once and the fetch runs in the background (the owner knows the source is failing).</param>
    public ValueTask<CacheLookup<TValue>> GetAsync(TKey key, bool mayWait = true)
    {
        Task<TValue?>? wait = null;
        CacheLookup<TValue> answer;
        Entry? start = null;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var entry = Touch(key);
            if (entry.Value is { } value && now < entry.StaleAt)
            {
                answer = new CacheLookup<TValue>(value, CacheResult.Hit);
                start = now >= entry.RefreshAt ? StartFetch(entry, now) : null;
            }
            else if (entry.Value is { } old && now < entry.StaleAt + _staleTicks)
            {
                answer = new CacheLookup<TValue>(old, CacheResult.Stale);
                start = StartFetch(entry, now);
            }
            else
            {
                answer = new CacheLookup<TValue>(null, CacheResult.Unavailable);
                start = StartFetch(entry, now);

                // A key whose last fetch failed does not make callers wait: it is refreshed in the background.
                wait = entry.Failed || !mayWait ? null : entry.Fetching?.Task;
            }
        }

        if (start is not null)
        {
            _ = RunFetchAsync(start); // Never faults: failures become values inside.
        }

        return wait is null ? new ValueTask<CacheLookup<TValue>>(answer) : WaitAsync(wait);
    }

    private async ValueTask<CacheLookup<TValue>> WaitAsync(Task<TValue?> fetching)
    {
        try
        {
            // The fetch is cancelled at the same deadline; this bound holds even for a source that ignores its token.
            var value = await fetching.WaitAsync(_options.FetchTimeout, _time).ConfigureAwait(false);
            return new CacheLookup<TValue>(value, value is null ? CacheResult.Unavailable : CacheResult.Fetched);
        }
        catch (TimeoutException)
        {
            return new CacheLookup<TValue>(null, CacheResult.Unavailable);
        }
    }

    // Under the lock: the entry for key, created (evicting the least recently used) if new, moved to the front.
    private Entry Touch(TKey key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            _recency.Remove(entry.Node);
            _recency.AddFirst(entry.Node);
            return entry;
        }

        if (_entries.Count >= _options.Capacity && _recency.Last is { } oldest)
        {
            // A fetch still running for it completes into the detached entry: harmless.
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Key);
        }

        entry = new Entry(key);
        _entries.Add(key, entry);
        _recency.AddFirst(entry.Node);
        return entry;
    }

    // Under the lock: marks a fetch as running for entry unless one is, or a recent failure holds it back.
    private static Entry? StartFetch(Entry entry, long now)
    {
        if (entry.Fetching is not null || now < entry.RetryAt)
        {
            return null;
        }

        entry.Fetching = new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously);
        return entry;
    }

    private async Task RunFetchAsync(Entry entry)
    {
        CacheFill<TValue> fill;
        var outcome = FetchOutcome.Ok;
        using (var deadline = new CancellationTokenSource(_options.FetchTimeout, _time))
        {
            try
            {
                fill = await _fetch(entry.Key, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                fill = CacheFill.Failed<TValue>($"no answer within {Configuration.ValueSyntax.FormatDuration(_options.FetchTimeout)}");
                outcome = FetchOutcome.Timeout;
            }
            catch (Exception ex)
            {
                // The source's contract is to return failures as values; whatever it threw instead is still only
                // this fetch's failure, and must not leave the key marked as fetching for ever.
                fill = CacheFill.Failed<TValue>($"{ex.GetType().Name}: {ex.Message}");
            }
        }

        if (fill.Value is null && outcome == FetchOutcome.Ok)
        {
            outcome = fill.TimedOut ? FetchOutcome.Timeout : FetchOutcome.Failed;
        }

        TValue? result;
        TaskCompletionSource<TValue?> fetching;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            Store(entry, fill, now);
            result = entry.Value is { } usable && now < entry.StaleAt + _staleTicks ? usable : null;
            fetching = entry.Fetching!;
            entry.Fetching = null;
        }

        // Waiters first: a throwing observer (metrics, log) must not leave them waiting for the fetch timeout.
        fetching.SetResult(result);
        try
        {
            _fetched?.Invoke(entry.Key, outcome, fill.Failure);
        }
#pragma warning disable CA1031 // An observer's failure is not the cache's: the answer is stored and delivered.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>
    /// The distinct answers stored recently (those interned since the last clear, at most 4,096), for whoever needs
    /// to act on every known answer (the health checker); empty without an answer comparer.
    /// </summary>
    public TValue[] DistinctAnswers()
    {
        lock (_lock)
        {
            return _interned is null ? [] : [.. _interned.Keys];
        }
    }

    // Under the lock: the instance every key with an equal answer uses.
    private TValue Intern(TValue value)
    {
        if (_interned is null)
        {
            return value;
        }

        if (_interned.TryGetValue(value, out var shared))
        {
            return shared;
        }

        if (_interned.Count >= InternLimit)
        {
            _interned.Clear(); // Answers churned: start over rather than grow (the picker re-learns its position).
        }

        _interned.Add(value, value);
        return value;
    }

    // Under the lock: the fetch's answer, or its failure, into entry.
    private void Store(Entry entry, CacheFill<TValue> fill, long now)
    {
        if (fill.Value is null)
        {
            entry.Failed = true;
            entry.RetryAt = now + _failureTicks;
            return;
        }

        var ttl = ToTimestampTicks(fill.Ttl);
        entry.Value = entry.Value is { } old && _sameAnswer?.Equals(old, fill.Value) == true ? old : Intern(fill.Value);
        entry.StaleAt = now + ttl;
        entry.RefreshAt = now + (long)(ttl * _options.RefreshAhead);
        entry.RetryAt = 0;
        entry.Failed = false;
    }

    private long ToTimestampTicks(TimeSpan span)
    {
        Debug.Assert(span >= TimeSpan.Zero, "lifetimes are validated as not negative");
        return (long)(span.TotalSeconds * _time.TimestampFrequency);
    }

    private sealed class Entry
    {
        public Entry(TKey key)
        {
            Key = key;
            Node = new LinkedListNode<Entry>(this);
        }

        public TKey Key { get; }

        public LinkedListNode<Entry> Node { get; }

        /// <summary>The last good answer, or null.</summary>
        public TValue? Value { get; set; }

        /// <summary>Timestamp when <see cref="Value"/> expires (then it is stale).</summary>
        public long StaleAt { get; set; }

        /// <summary>Timestamp after which a hit also starts a refresh.</summary>
        public long RefreshAt { get; set; }

        /// <summary>Timestamp before which no new fetch starts (after a failure).</summary>
        public long RetryAt { get; set; }

        /// <summary>True when the last fetch failed.</summary>
        public bool Failed { get; set; }

        /// <summary>The fetch running now, which waiting callers share; null when none.</summary>
        public TaskCompletionSource<TValue?>? Fetching { get; set; }
    }
}
