using FastRelay.RateLimiting;

namespace FastRelay.Observing;

/// <summary>
/// The <see cref="ConnectionEvent.Detail"/> of a rate-limit refusal: written by the connection, read back by
/// the metrics (the cause label) and shown in the audit row. One place, so the two sides cannot drift apart.
/// </summary>
internal static class RateLimitDetail
{
    /// <summary>The key's bucket had no token.</summary>
    public const string BucketEmpty = "bucket empty";

    /// <summary>The key was new and the bucket table was full.</summary>
    public const string TableFull = "bucket table full";

    /// <summary>The detail for a refusal; constant strings, so a refusal allocates nothing.</summary>
    public static string For(RateDecision decision) => decision == RateDecision.TableFull ? TableFull : BucketEmpty;
}
