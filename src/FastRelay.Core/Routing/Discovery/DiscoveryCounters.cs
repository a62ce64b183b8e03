namespace FastRelay.Routing.Discovery;

/// <summary>
/// One service's discovery counts since start (read by the metrics at each scrape). Lock-free; thread-safe.
/// </summary>
public sealed class DiscoveryCounters
{
    private long _hits;
    private long _stale;
    private long _misses;
    private long _defaults;
    private long _ok;
    private long _failed;
    private long _timeouts;
    private long _failingUntil;

    /// <summary>Lookups answered from a fresh cached answer.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Lookups answered from an expired answer while a background request renewed it.</summary>
    public long Stale => Volatile.Read(ref _stale);

    /// <summary>Lookups with nothing usable cached (they waited for a request, or took the default backends).</summary>
    public long Misses => Volatile.Read(ref _misses);

    /// <summary>Lookups answered with the route's default backends (discovery failed, timed out, or is failing).</summary>
    public long Defaults => Volatile.Read(ref _defaults);

    /// <summary>Requests to the discovery endpoint that brought an answer.</summary>
    public long RequestsOk => Volatile.Read(ref _ok);

    /// <summary>Requests that failed (unreachable, HTTP error, a body that is not an answer).</summary>
    public long RequestsFailed => Volatile.Read(ref _failed);

    /// <summary>Requests with no answer within <c>--discovery-timeout</c>.</summary>
    public long RequestsTimedOut => Volatile.Read(ref _timeouts);

    /// <summary>
    /// True while the service's last request failed, for a failure TTL after it: a new client then gets the default
    /// backends at once instead of waiting for a request that will most likely fail too (one timeout per outage, not
    /// one per new client address).
    /// </summary>
    internal bool IsFailing(long now) => now < Volatile.Read(ref _failingUntil);

    internal void Failed(long until) => Volatile.Write(ref _failingUntil, until);

    internal void Answered() => Volatile.Write(ref _failingUntil, 0);

    internal void Count(CacheResult result)
    {
        switch (result)
        {
            case CacheResult.Hit:
                Interlocked.Increment(ref _hits);
                break;
            case CacheResult.Stale:
                Interlocked.Increment(ref _stale);
                break;
            case CacheResult.Fetched:
                Interlocked.Increment(ref _misses);
                break;
            default:
                Interlocked.Increment(ref _misses);
                Interlocked.Increment(ref _defaults);
                break;
        }
    }

    internal void Count(FetchOutcome outcome) => _ = outcome switch
    {
        FetchOutcome.Ok => Interlocked.Increment(ref _ok),
        FetchOutcome.Timeout => Interlocked.Increment(ref _timeouts),
        _ => Interlocked.Increment(ref _failed),
    }; // The new count is not needed.
}
