namespace FastRelay.Routing.Discovery;

/// <summary>What one fetch for a <see cref="RefreshingCache{TKey, TValue}"/> key brought back: a value with its lifetime, or why there is none.</summary>
/// <param name="Value">The answer, or null when the fetch failed.</param>
/// <param name="Ttl">How long the answer is fresh (ignored on failure).</param>
/// <param name="Failure">Why there is no answer, in words for the log; null on success.</param>
/// <param name="TimedOut">The failure was the source not answering in time (its own timeout fired before the cache's).</param>
public readonly record struct CacheFill<TValue>(TValue? Value, TimeSpan Ttl, string? Failure, bool TimedOut = false)
    where TValue : class;

/// <summary>Builds <see cref="CacheFill{TValue}"/>s.</summary>
public static class CacheFill
{
    /// <summary>A fresh answer for <paramref name="ttl"/>.</summary>
    public static CacheFill<TValue> Answer<TValue>(TValue value, TimeSpan ttl)
        where TValue : class => new(value, ttl, null);

    /// <summary>No answer, because of <paramref name="why"/>.</summary>
    public static CacheFill<TValue> Failed<TValue>(string why)
        where TValue : class => new(null, TimeSpan.Zero, why);

    /// <summary>No answer, because the source did not answer in time (<paramref name="why"/>): counted as a timeout.</summary>
    public static CacheFill<TValue> NoAnswer<TValue>(string why)
        where TValue : class => new(null, TimeSpan.Zero, why, TimedOut: true);
}

/// <summary>How a lookup in a <see cref="RefreshingCache{TKey, TValue}"/> was answered (counted by the metrics).</summary>
public enum CacheResult
{
    /// <summary>A fresh cached answer, returned at once.</summary>
    Hit,

    /// <summary>An expired answer still within the stale limit, returned at once while one background fetch refreshes it.</summary>
    Stale,

    /// <summary>Nothing usable was cached: the lookup waited (at most the fetch timeout) for a fetch that answered.</summary>
    Fetched,

    /// <summary>No answer: the fetch failed or timed out (now, or recently) and nothing usable is cached. The caller falls back.</summary>
    Unavailable,
}

/// <summary>How one fetch ended (counted per key by the owner, e.g. <c>fastrelay_discovery_requests_total{outcome}</c>).</summary>
public enum FetchOutcome
{
    /// <summary>An answer came back.</summary>
    Ok,

    /// <summary>The source answered with an error, or with something that is not an answer.</summary>
    Failed,

    /// <summary>No answer within the fetch timeout.</summary>
    Timeout,
}

/// <summary>The answer of one lookup: the value (null when <see cref="CacheResult.Unavailable"/>) and how it was found.</summary>
public readonly record struct CacheLookup<TValue>(TValue? Value, CacheResult Result)
    where TValue : class;
