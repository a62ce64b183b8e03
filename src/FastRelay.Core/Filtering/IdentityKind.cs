namespace FastRelay.Filtering;

/// <summary>Which part of a client certificate an <see cref="IdentityPattern"/> is matched against.</summary>
internal enum IdentityKind
{
    /// <summary><c>CN=…</c>: the subject common name, case-insensitive.</summary>
    CommonName,

    /// <summary><c>SAN:DNS=…</c>: any DNS subject alternative name, case-insensitive; <c>*</c> stays within one label.</summary>
    DnsName,

    /// <summary><c>SAN:URI=…</c>: any URI subject alternative name (SPIFFE ids), case-sensitive.</summary>
    Uri,
}
