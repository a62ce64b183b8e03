using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Pki;

/// <summary>One certificate the CA issued, as a line of index.txt.</summary>
/// <param name="Serial">Canonical hex (<see cref="SerialNumber"/>).</param>
/// <param name="NotAfter">When the certificate expires.</param>
/// <param name="RevokedAt">When it was revoked; null while it is valid.</param>
/// <param name="Reason">The revocation reason (meaningful only when revoked).</param>
/// <param name="Name">The NAME given to <c>ca issue</c> (its files are NAME.pem and NAME.key).</param>
/// <param name="Subject">The subject in OpenSSL's one-line form, e.g. <c>/CN=web1</c>.</param>
internal sealed record CaIndexEntry(
    string Serial, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt, X509RevocationReason Reason, string Name, string Subject)
{
    /// <summary>True once <c>ca revoke</c> has marked it.</summary>
    public bool IsRevoked => RevokedAt is not null;
}
