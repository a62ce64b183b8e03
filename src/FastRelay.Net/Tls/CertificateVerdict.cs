using System.Security.Cryptography.X509Certificates;
using FastRelay.Filtering;

namespace FastRelay.Tls;

/// <summary>
/// The outcome of checking one client certificate: allowed, or rejected with the exact reason. Accepted
/// verdicts are cached by fingerprint and shared by every connection that presents the same certificate;
/// immutable.
/// </summary>
internal sealed class CertificateVerdict
{
    private CertificateVerdict(bool allowed, string? reason, ClientIdentity? identity, string? sha256, IReadOnlyList<X509Certificate2>? chain, DateTimeOffset validUntil)
    {
        Allowed = allowed;
        Reason = reason;
        Identity = identity;
        Sha256 = sha256;
        Chain = chain;
        ValidUntil = validUntil;
    }

    /// <summary>True when the certificate passed every check.</summary>
    public bool Allowed { get; }

    /// <summary>Why it was rejected ("expired on 2026-11-01 00:00Z"); null when allowed.</summary>
    public string? Reason { get; }

    /// <summary>The certificate's identity; null when there was no certificate.</summary>
    public ClientIdentity? Identity { get; }

    /// <summary>Lower-case hex SHA-256 of the certificate; null when there was none.</summary>
    public string? Sha256 { get; }

    /// <summary>Leaf first up to the trusted root, kept (as copies) for the revocation checker; null when none is configured.</summary>
    public IReadOnlyList<X509Certificate2>? Chain { get; }

    /// <summary>Until when a cached verdict may be reused (the earliest expiry in the chain, at most the cache's age limit).</summary>
    public DateTimeOffset ValidUntil { get; }

    public static CertificateVerdict Accept(ClientIdentity identity, string sha256, IReadOnlyList<X509Certificate2>? chain, DateTimeOffset validUntil) =>
        new(true, null, identity, sha256, chain, validUntil);

    public static CertificateVerdict Reject(string reason, ClientIdentity? identity = null, string? sha256 = null) =>
        new(false, reason, identity, sha256, null, default);
}
