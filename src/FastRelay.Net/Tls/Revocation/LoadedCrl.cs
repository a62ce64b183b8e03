namespace FastRelay.Tls.Revocation;

/// <summary>
/// One CRL file, parsed and its signature verified against a CA of the client bundle: who issued it
/// (name and public key), when it was made and until when it may be relied on, and the revoked serials.
/// Immutable.
/// </summary>
/// <param name="Path">The file it came from (for logs and details).</param>
/// <param name="IssuerName">The issuer's DER-encoded name, as in the certificates it covers.</param>
/// <param name="IssuerPublicKey">The verifying CA's encoded public key: a CRL only covers certificates whose chain has this key as issuer.</param>
/// <param name="ThisUpdate">When it was issued.</param>
/// <param name="NextUpdate">When a newer one is due; past it the CRL is stale (RFC 5280 5.1.2.5); null if it has none.</param>
/// <param name="Revoked">Revoked serials (DER INTEGER content bytes) and their revocation time.</param>
internal sealed record LoadedCrl(
    string Path, byte[] IssuerName, byte[] IssuerPublicKey, DateTimeOffset ThisUpdate, DateTimeOffset? NextUpdate,
    Dictionary<byte[], DateTimeOffset> Revoked)
{
    /// <summary>The name of the CA whose key signed it, as its certificate encodes it (may differ from <see cref="IssuerName"/>'s encoding).</summary>
    public byte[]? CaSubjectName { get; init; }

    /// <summary>The revoked set, looked up by span without allocating.</summary>
    public Dictionary<byte[], DateTimeOffset>.AlternateLookup<ReadOnlySpan<byte>> RevokedBySpan { get; } =
        Revoked.GetAlternateLookup<ReadOnlySpan<byte>>();
}
