namespace FastRelay.Routing.Discovery;

/// <summary>The limits of a <see cref="RefreshingCache{TKey, TValue}"/>.</summary>
public sealed record RefreshingCacheOptions
{
    /// <summary>Default for <see cref="StaleLimit"/>.</summary>
    public static readonly TimeSpan DefaultStaleLimit = TimeSpan.FromMinutes(5);

    /// <summary>Default for <see cref="FailureTtl"/>.</summary>
    public static readonly TimeSpan DefaultFailureTtl = TimeSpan.FromSeconds(5);

    /// <summary>The most keys kept; past it the least recently used key is dropped (a scan of client addresses cannot grow memory).</summary>
    public required int Capacity { get; init; }

    /// <summary>One fetch is cancelled after this long, and counted as <see cref="FetchOutcome.Timeout"/>.</summary>
    public required TimeSpan FetchTimeout { get; init; }

    /// <summary>How long past its expiry an answer is still served while refreshes fail (stale-if-error, RFC 5861 §4).</summary>
    /// <remarks>Defaults to 5m.</remarks>
    public TimeSpan StaleLimit { get; init; } = DefaultStaleLimit;

    /// <summary>After a failed fetch, no new fetch for the key starts before this long: short, so recovery is quick.</summary>
    /// <remarks>Defaults to 5s.</remarks>
    public TimeSpan FailureTtl { get; init; } = DefaultFailureTtl;

    /// <summary>
    /// The share of an answer's lifetime after which a lookup that hits it also starts a background refresh, so a key in
    /// use is renewed before it expires and never goes stale (prefetch, as unbound's <c>prefetch: yes</c> at 90 %).
    /// </summary>
    /// <remarks>Defaults to 0.8.</remarks>
    public double RefreshAhead { get; init; } = 0.8;
}
