using System.Collections.Concurrent;
using FastRelay.RateLimiting.Internal;

namespace FastRelay.RateLimiting;

/// <summary>
/// A token bucket per key (a source address as <see cref="UInt128"/>, an identity or service string), each
/// one GCRA word like <see cref="TokenBucket"/>, with a bound on how many keys are held. Learned from
/// wireguard-go <c>ratelimiter/ratelimiter.go</c> (a table of per-IP buckets with idle collection), but
/// lock-free for known keys, bounded, and collecting only buckets that are full again, which is exact:
/// GCRA's full bucket is indistinguishable from a new one, so an evicted key's next decision is the one it
/// would have got anyway.
/// </summary>
/// <remarks>
/// <para>Cost: a decision for a key already in the table is a lock-free dictionary read and one
/// compare-and-swap, with no allocation. The first decision for a new key allocates about 90 B (a
/// <see cref="ConcurrentDictionary{TKey, TValue}"/> node and a 24-byte bucket; a string key itself is the
/// caller's) and takes one of the dictionary's lock stripes; growing the dictionary now and then
/// reallocates its bucket array.</para>
/// <para>Bound: at most <c>maxKeys</c> keys. When a new key finds the table full, idle (full) buckets are
/// evicted, at most once per <see cref="SweepInterval"/> because a sweep walks the whole table; if none is
/// idle the new key is refused with <see cref="RateDecision.TableFull"/> (fail closed: a flood of distinct
/// sources cannot grow memory, nor reset the buckets of keys it pushed out). <see cref="EvictIdle()"/> may
/// also be called from a timer to give memory back after a flood.</para>
/// <para>Thread-safe. Eviction retires a bucket with a compare-and-swap before unlinking it, so a decision
/// racing with it either lands before (and the bucket is no longer idle) or sees the retired mark and looks
/// the key up again: no grant is ever lost with an evicted bucket.</para>
/// </remarks>
/// <typeparam name="TKey">The key; compared with <see cref="EqualityComparer{T}.Default"/> (ordinal for strings).</typeparam>
internal sealed class KeyedBucketTable<TKey>
    where TKey : notnull
{
    /// <summary>The least time between two sweeps forced by a full table (wireguard-go collects every second).</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<TKey, Bucket> _buckets = new();
    private readonly GcraLimit _limit;
    private readonly TimeProvider _time;
    private readonly int _maxKeys;
    private readonly long _sweepIntervalTicks;
    private int _count;
    private long _nextSweep = long.MinValue;

    /// <summary>An empty table whose buckets all follow <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options are out of range, or <paramref name="maxKeys"/> is below 1.</exception>
    public KeyedBucketTable(TokenBucketOptions options, int maxKeys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _limit = new GcraLimit(options, time.TimestampFrequency);
        _time = time;
        _maxKeys = maxKeys;
        _sweepIntervalTicks = (long)(SweepInterval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Keys held now (buckets that are not yet evicted); may be stale at once.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes one token from <paramref name="key"/>'s bucket now.</summary>
    public RateDecision Decide(TKey key) => Decide(key, _time.GetTimestamp());

    /// <summary>Takes one token from <paramref name="key"/>'s bucket at <paramref name="timestamp"/> (ticks of the table's clock).</summary>
    /// <returns><see cref="RateDecision.Allowed"/>, <see cref="RateDecision.Limited"/>, or <see cref="RateDecision.TableFull"/> for a new key that does not fit.</returns>
    public RateDecision Decide(TKey key, long timestamp)
    {
        while (true)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                bucket = TryAdd(key, timestamp, out var tableFull);
                if (bucket is null)
                {
                    if (tableFull)
                    {
                        return RateDecision.TableFull;
                    }

                    continue; // Another thread added the key first: use its bucket.
                }
            }

            switch (Gcra.TryTake(ref bucket.Tat, _limit.CostOfOne, _limit.Tolerance, timestamp))
            {
                case GcraOutcome.Allowed:
                    return RateDecision.Allowed;
                case GcraOutcome.Limited:
                    return RateDecision.Limited;
                default:
                    // Evicted under us: make sure it is unlinked, then decide on a fresh bucket.
                    Unlink(key, bucket);
                    break;
            }
        }
    }

    /// <summary>Evicts every bucket that is full now; returns how many. O(keys); safe alongside decisions.</summary>
    public int EvictIdle() => EvictIdle(_time.GetTimestamp());

    /// <summary>Evicts every bucket that is full at <paramref name="timestamp"/>; returns how many.</summary>
    public int EvictIdle(long timestamp)
    {
        var evicted = 0;

        // The enumerator is lock-free and tolerates concurrent changes (it may or may not see them).
        foreach (var (key, bucket) in _buckets)
        {
            if (Gcra.TryRetire(ref bucket.Tat, timestamp) && Unlink(key, bucket))
            {
                evicted++;
            }
        }

        return evicted;
    }

    // A slot is reserved in _count before the key is added, so the bound holds under any race.
    private Bucket? TryAdd(TKey key, long timestamp, out bool tableFull)
    {
        tableFull = false;
        if (!TryReserveSlot() && !(TrySweep(timestamp) && TryReserveSlot()))
        {
            tableFull = true;
            return null;
        }

        var bucket = new Bucket();
        if (_buckets.TryAdd(key, bucket))
        {
            return bucket;
        }

        Interlocked.Decrement(ref _count);
        return null;
    }

    private bool TryReserveSlot()
    {
        if (Interlocked.Increment(ref _count) <= _maxKeys)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    // One sweep at a time, at most one per interval: under a flood of new keys into a table of busy buckets,
    // refusing must stay O(1) rather than walking the table for every new key.
    private bool TrySweep(long timestamp)
    {
        var next = Volatile.Read(ref _nextSweep);
        if (timestamp < next || Interlocked.CompareExchange(ref _nextSweep, timestamp + _sweepIntervalTicks, next) != next)
        {
            return false;
        }

        return EvictIdle(timestamp) > 0;
    }

    // Removes exactly this bucket (not a newer one for the same key); whoever removes it gives back its slot.
    private bool Unlink(TKey key, Bucket bucket)
    {
        if (!_buckets.TryRemove(KeyValuePair.Create(key, bucket)))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>One key's GCRA word (<see cref="Gcra"/>), boxed so that it can be swapped in place.</summary>
    private sealed class Bucket
    {
        public long Tat = Gcra.Full;
    }
}
