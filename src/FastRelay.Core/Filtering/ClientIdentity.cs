namespace FastRelay.Filtering;

/// <summary>
/// What the client's certificate says about it, resolved once per connection after the TLS handshake (or
/// given by <c>policy explain --identity</c>), so that each rule check reads strings and allocates nothing.
/// Immutable and thread-safe.
/// </summary>
internal sealed class ClientIdentity
{
    /// <summary>What an identity fact looks like, for error messages.</summary>
    public const string Expected = "expected CN=NAME, SAN:DNS=NAME or SAN:URI=URI";

    private readonly string[] _dnsNames;
    private readonly string[] _uris;
    private readonly string[] _ipAddresses;

    /// <summary>Creates an identity from a subject common name and subject alternative names.</summary>
    public ClientIdentity(string? commonName, IEnumerable<string> dnsNames, IEnumerable<string> uris, IEnumerable<string>? ipAddresses = null)
    {
        CommonName = commonName;
        _dnsNames = [.. dnsNames];
        _uris = [.. uris];
        _ipAddresses = [.. ipAddresses ?? []];
    }

    /// <summary>
    /// Stands for "a certificate will be asked for, not seen yet" at the Inbound checkpoint of a mutual-TLS edge:
    /// every Identity condition holds for it, so a rule with an identity is never ruled out before the
    /// handshake (PolicyGate decides again with the real identity after it).
    /// </summary>
    public static ClientIdentity Unknown { get; } = new(null, [], []) { IsUnknown = true };

    /// <summary>True only for <see cref="Unknown"/>.</summary>
    public bool IsUnknown { get; private init; }

    /// <summary>The subject's CN, or null when it has none.</summary>
    public string? CommonName { get; }

    /// <summary>The DNS names of the subject alternative name extension.</summary>
    public ReadOnlySpan<string> DnsNames => _dnsNames;

    /// <summary>The URIs of the subject alternative name extension (SPIFFE ids among them).</summary>
    public ReadOnlySpan<string> Uris => _uris;

    /// <summary>The IP addresses of the subject alternative name extension, as text (<c>10.0.0.7</c>, <c>fd00::7</c>); for logs,
    /// audit, <c>--allow-san IP:…</c> and rate keys (policy rules match CN, DNS and URI only, as policy-format.md says).</summary>
    public ReadOnlySpan<string> IpAddresses => _ipAddresses;

    /// <summary>
    /// The key <c>--rate-key identity</c> buckets by: the CN, or else the first SAN (URI, DNS, IP), or else
    /// null (the caller falls back to the certificate fingerprint).
    /// </summary>
    public string? RateKey => CommonName ?? (_uris.Length > 0 ? _uris[0] : _dnsNames.Length > 0 ? _dnsNames[0] : _ipAddresses.Length > 0 ? _ipAddresses[0] : null);

    /// <summary>
    /// Builds an identity from facts written as in rules without wildcards: <c>CN=…</c>, <c>SAN:DNS=…</c>,
    /// <c>SAN:URI=…</c>. At most one CN.
    /// </summary>
    /// <returns>False, with <paramref name="error"/> naming the bad fact, on a malformed or repeated CN.</returns>
    public static bool TryParse(IEnumerable<string> facts, out ClientIdentity? identity, out string error)
    {
        identity = null;
        string? commonName = null;
        List<string> dns = [], uris = [];
        foreach (var fact in facts)
        {
            if (!IdentityPattern.TrySplit(fact, out var kind, out var value) || value.Contains('*', StringComparison.Ordinal))
            {
                error = $"'{fact}': {Expected}, without wildcards";
                return false;
            }

            if (kind == IdentityKind.CommonName && commonName is not null)
            {
                error = $"'{fact}': a certificate has one CN; give CN= once";
                return false;
            }

            if (kind == IdentityKind.CommonName) commonName = value;
            else (kind == IdentityKind.DnsName ? dns : uris).Add(value);
        }

        identity = new ClientIdentity(commonName, dns, uris);
        error = "";
        return true;
    }

    // Built once: the audit log writes it on each of the connection's records (handshake, outbound, close).
    private string? _text;

    /// <inheritdoc />
    public override string ToString() => _text ??= string.Join(", ", new[] { CommonName is null ? null : $"CN={CommonName}" }.Concat(_dnsNames.Select(d => $"SAN:DNS={d}"))
            .Concat(_uris.Select(u => $"SAN:URI={u}")).Concat(_ipAddresses.Select(a => $"SAN:IP={a}")).OfType<string>());
}
