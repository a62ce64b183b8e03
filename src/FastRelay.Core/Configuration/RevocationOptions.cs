namespace FastRelay.Configuration;

/// <summary>
/// How client certificates are checked for revocation (<c>--revocation</c>, <c>--crl</c>,
/// <c>--ocsp-timeout</c>); only used when client certificates are required (<c>--client-ca</c>).
/// </summary>
public sealed record RevocationOptions
{
    /// <summary>Default for <see cref="OcspTimeout"/>: long enough for a responder on the LAN, short next to the handshake timeout.</summary>
    public static readonly TimeSpan DefaultOcspTimeout = TimeSpan.FromSeconds(3);

    /// <summary>What to do when a status cannot be learned; a revoked certificate is refused in every mode but off.</summary>
    /// <remarks>Defaults to <see cref="RevocationMode.SoftFail"/>.</remarks>
    public RevocationMode Mode { get; init; } = RevocationMode.SoftFail;

    /// <summary>CRL files (PEM or DER), each signed by a CA of the client CA bundle; reloaded when they change.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IReadOnlyList<string> CrlFiles { get; init; } = [];

    /// <summary>Time allowed for one OCSP request to the URL in a client certificate's AIA; zero turns OCSP off (CRLs only).</summary>
    /// <remarks>Defaults to 3s.</remarks>
    public TimeSpan OcspTimeout { get; init; } = DefaultOcspTimeout;
}

/// <summary>What happens when the revocation status of a client certificate cannot be determined.</summary>
public enum RevocationMode
{
    /// <summary>No revocation checks at all (<c>off</c>).</summary>
    Off,

    /// <summary>
    /// Revoked is refused; unknown (no CRL for the issuer, responder down or slow, CRL past nextUpdate) is
    /// allowed and said so in the log (<c>soft-fail</c>, what browsers and stunnel's OCSP default do).
    /// </summary>
    SoftFail,

    /// <summary>Only a certificate shown good by a current CRL or OCSP response is allowed (<c>hard-fail</c>, like nginx's ssl_crl).</summary>
    HardFail,
}
