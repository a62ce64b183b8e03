using System.Net;
using FastRelay.Filtering;
using FastRelay.RateLimiting;

namespace FastRelay.RateLimiting;

/// <summary>
/// The token buckets on new connections (<c>--conn-rate</c>), keyed by source address, service or client
/// certificate identity (<c>--rate-key</c>). Lock-free and allocation-free for a key already in the table.
/// </summary>
internal sealed class ConnectionRateGate
{
    private readonly KeyedBucketTable<UInt128>? _bySource;
    private readonly KeyedBucketTable<string>? _byService;
    private long _limited;
    private long _tableFull;

    public ConnectionRateGate(ConnectionRateOptions options, TimeProvider time)
    {
        if (options.Key is RateKey.Service or RateKey.Identity)
        {
            // Identity keys are strings too (the certificate's CN, first SAN, or fingerprint).
            _byService = new KeyedBucketTable<string>(options.Bucket, options.MaxKeys, time);
            IsIdentityKeyed = options.Key == RateKey.Identity;
        }
        else
        {
            _bySource = new KeyedBucketTable<UInt128>(options.Bucket, options.MaxKeys, time);
        }
    }

    /// <summary>
    /// True with <c>--rate-key identity</c>: the decision waits for the TLS handshake (<see cref="DecideIdentity"/>),
    /// since the identity is only known then; <see cref="Decide"/> must not be called.
    /// </summary>
    public bool IsIdentityKeyed { get; }

    /// <summary>Connections refused because their bucket was empty.</summary>
    public long Limited => Interlocked.Read(ref _limited);

    /// <summary>Connections refused because the key table was full of active keys (a flood of distinct sources).</summary>
    public long TableFull => Interlocked.Read(ref _tableFull);

    /// <summary>Takes a token for a new connection from <paramref name="client"/> to <paramref name="service"/>.</summary>
    public RateDecision Decide(IPAddress client, string service) =>
        Count(_bySource is not null ? _bySource.Decide(AddressKey.From(client)) : _byService!.Decide(service));

    /// <summary>Takes a token for a new connection from the client certificate identity <paramref name="identityKey"/> (after the handshake).</summary>
    public RateDecision DecideIdentity(string identityKey) => Count(_byService!.Decide(identityKey));

    private RateDecision Count(RateDecision decision)
    {
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
