using System.Net;
using FastRelay.Filtering;
using FastRelay.RateLimiting;

namespace FastRelay.RateLimiting;

/// <summary>
/// The token buckets on new connections (<c>--conn-rate</c>), keyed by source address or service
/// (<c>--rate-key</c>). Lock-free and allocation-free for a key already in the table.
/// </summary>
internal sealed class ConnectionRateGate
{
    private readonly KeyedBucketTable<UInt128>? _bySource;
    private readonly KeyedBucketTable<string>? _byService;
    private long _limited;
    private long _tableFull;

    public ConnectionRateGate(ConnectionRateOptions options, TimeProvider time)
    {
        if (options.Key == RateKey.Service)
        {
            _byService = new KeyedBucketTable<string>(options.Bucket, options.MaxKeys, time);
        }
        else
        {
            // Identity is refused at configuration time until mutual TLS exists; source IP is the default.
            _bySource = new KeyedBucketTable<UInt128>(options.Bucket, options.MaxKeys, time);
        }
    }

    /// <summary>Connections refused because their bucket was empty.</summary>
    public long Limited => Interlocked.Read(ref _limited);

    /// <summary>Connections refused because the key table was full of active keys (a flood of distinct sources).</summary>
    public long TableFull => Interlocked.Read(ref _tableFull);

    /// <summary>Takes a token for a new connection from <paramref name="client"/> to <paramref name="service"/>.</summary>
    public RateDecision Decide(IPAddress client, string service)
    {
        var decision = _bySource is not null ? _bySource.Decide(AddressKey.From(client)) : _byService!.Decide(service);
        if (decision == RateDecision.Limited)
        {
            Interlocked.Increment(ref _limited);
        }
        else if (decision == RateDecision.TableFull)
        {
            Interlocked.Increment(ref _tableFull);
        }

        return decision;
    }

    /// <summary>Drops buckets that are full again (exact: a full bucket decides like a new one), giving memory back.</summary>
    public int EvictIdle() => _bySource?.EvictIdle() ?? _byService!.EvictIdle();
}
