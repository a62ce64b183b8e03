namespace FastRelay.RateLimiting;

/// <summary>The outcome of <see cref="KeyedBucketTable{TKey}.Decide(TKey)"/>, a value to count, not an exception.</summary>
public enum RateDecision
{
    /// <summary>Refused: the key's bucket is empty. Zero so that a default value refuses.</summary>
    Limited = 0,

    /// <summary>A token was taken; the connection may proceed.</summary>
    Allowed = 1,

    /// <summary>
    /// Refused: the key is new and the table is at its size bound with no idle bucket to evict (a flood of
    /// distinct keys). Counted apart from <see cref="Limited"/> because it is a capacity signal.
    /// </summary>
    TableFull = 2,
}
