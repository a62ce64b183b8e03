using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>
/// Decides whether a client certificate chain that already validated (trust, expiry, key usage, allow-lists)
/// is revoked (CRL, OCSP). Called once per handshake, after it completes and before the upstream is dialled;
/// not called when no checker is configured.
/// </summary>
/// <remarks>
/// Contract: the chain is leaf first, then each issuer up to the trusted root; the
/// certificates belong to the caller's cache and must not be disposed. Thread-safe; must not throw for a
/// revocation outcome (return <c>Allowed: false</c> with a <c>Detail</c> instead); honour cancellation (the
/// handshake timeout) by returning the verdict for an unknown status, not by throwing. (The handshake still turns an
/// exception into a failed connection with its message.)
/// </remarks>
internal interface IRevocationChecker
{
    ValueTask<RevocationVerdict> CheckAsync(IReadOnlyList<X509Certificate2> chain, CancellationToken cancellationToken);
}

/// <summary>A revocation decision: allowed or not, and why (logged and put in the event's Detail).</summary>
internal readonly record struct RevocationVerdict(bool Allowed, string? Detail);
