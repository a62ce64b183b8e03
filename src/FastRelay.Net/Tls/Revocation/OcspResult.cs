namespace FastRelay.Tls.Revocation;

/// <summary>What an OCSP lookup learned about one certificate.</summary>
/// <param name="Status">Good, revoked, unknown to the responder, or no usable answer.</param>
/// <param name="CacheUntil">Until when this answer may be reused (nextUpdate, or a short back-off after a failure).</param>
/// <param name="Detail">Why, in words, for logs and the verdict's detail.</param>
internal readonly record struct OcspResult(OcspStatus Status, DateTimeOffset CacheUntil, string Detail);

/// <summary>The outcome of an OCSP lookup.</summary>
internal enum OcspStatus
{
    /// <summary>The responder vouches the certificate is not revoked (RFC 6960 2.2 "good").</summary>
    Good,

    /// <summary>The responder says it is revoked.</summary>
    Revoked,

    /// <summary>The responder does not know the certificate.</summary>
    Unknown,

    /// <summary>No usable answer: unreachable, timed out, an error status, or a response that failed verification.</summary>
    Failed,
}
