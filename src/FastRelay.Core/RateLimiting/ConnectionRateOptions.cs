namespace FastRelay.RateLimiting;

/// <summary>
/// <c>--conn-rate RATE --conn-burst N --rate-key KEY</c>: a token bucket per key on new connections. Immutable.
/// </summary>
/// <param name="Bucket">Each key's bucket.</param>
/// <param name="Key">What the buckets are keyed by.</param>
/// <param name="MaxKeys">The most keys tracked at once (see <see cref="KeyedBucketTable{TKey}"/>).</param>
public sealed record ConnectionRateOptions(TokenBucketOptions Bucket, RateKey Key = RateKey.SourceIp, int MaxKeys = ConnectionRateOptions.DefaultMaxKeys)
{
    /// <summary>Default for <see cref="MaxKeys"/>: about 10 MB of buckets at most (a bucket costs ~100 B).</summary>
    public const int DefaultMaxKeys = 100_000;
}
