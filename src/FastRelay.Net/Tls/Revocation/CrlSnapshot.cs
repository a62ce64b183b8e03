using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// Every loaded CRL, indexed by issuer name for a lookup that allocates nothing: one dictionary probe with
/// the certificate's cached issuer-name DER, a key comparison, one probe per CRL of that issuer with the
/// cached serial. Immutable; replaced whole on reload.
/// </summary>
internal sealed class CrlSnapshot
{
    public static readonly CrlSnapshot Empty = new([]);

    private readonly Dictionary<byte[], LoadedCrl[]>.AlternateLookup<ReadOnlySpan<byte>> _byIssuer;

    public CrlSnapshot(IReadOnlyList<LoadedCrl> crls)
    {
        Crls = crls;
        // Under the CRL's issuer name and, when its bytes differ, the CA certificate's (another string encoding of the
        // same name): a leaf's issuer name may be either.
        var byIssuer = crls.SelectMany(c => c.CaSubjectName is { } subject && !subject.AsSpan().SequenceEqual(c.IssuerName)
                ? new[] { (Name: c.IssuerName, Crl: c), (Name: subject, Crl: c) }
                : [(Name: c.IssuerName, Crl: c)])
            .GroupBy(e => e.Name, ByteKeyComparer.Instance)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Crl).ToArray(), ByteKeyComparer.Instance);
        _byIssuer = byIssuer.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The CRLs, one per file that loaded.</summary>
    public IReadOnlyList<LoadedCrl> Crls { get; }

    /// <summary>
    /// The status of <paramref name="certificate"/> issued by <paramref name="issuer"/> at <paramref name="now"/>.
    /// A CRL counts only if it is signed by this issuer's key (defends against a second CA of the same name).
    /// </summary>
    public CrlStatus Check(X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset now, out LoadedCrl? source, out DateTimeOffset revokedAt)
    {
        source = null;
        revokedAt = default;
        if (!_byIssuer.TryGetValue(certificate.IssuerName.RawData, out var candidates))
        {
            return CrlStatus.NotCovered;
        }

        var status = CrlStatus.NotCovered;
        var serial = certificate.SerialNumberBytes.Span;
        var issuerKey = issuer.PublicKey.EncodedKeyValue.RawData;
        foreach (var crl in candidates)
        {
            if (!crl.IssuerPublicKey.AsSpan().SequenceEqual(issuerKey))
            {
                continue;
            }

            source = crl;
            if (crl.RevokedBySpan.TryGetValue(serial, out revokedAt))
            {
                return CrlStatus.Revoked;
            }

            if (crl.NextUpdate is not { } next || now <= next)
            {
                status = CrlStatus.Good;
            }
            else if (status == CrlStatus.NotCovered)
            {
                status = CrlStatus.Stale;
            }
        }

        return status;
    }
}
