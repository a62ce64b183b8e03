namespace FastRelay.RateLimiting.Internal;

/// <summary>What <see cref="Gcra.TryTake"/> did.</summary>
internal enum GcraOutcome
{
    /// <summary>Not taken: it would exceed the burst.</summary>
    Limited,

    /// <summary>Taken.</summary>
    Allowed,

    /// <summary>Not taken: the bucket was evicted; look the key up again.</summary>
    Retired,
}
