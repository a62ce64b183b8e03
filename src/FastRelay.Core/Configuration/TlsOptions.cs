namespace FastRelay.Configuration;

/// <summary>
/// TLS on the edge's listeners (<c>--tls-cert</c>, <c>--tls-key</c>, <c>--client-ca</c>, …): file paths and
/// checks, validated for shape only. Core does not read the files: FastRelay.Net loads (and reloads) them.
/// </summary>
public sealed record TlsOptions
{
    /// <summary>Default for <see cref="HandshakeTimeout"/>: a silent or slow client holds a slot for at most this.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The server certificate (PEM), leaf first, then its intermediates.</summary>
    public required string CertificateFile { get; init; }

    /// <summary>The server certificate's private key (PEM; ECDSA or RSA; PKCS#8, SEC1 or PKCS#1).</summary>
    public required string KeyFile { get; init; }

    /// <summary>The CA bundle (PEM) that client certificates must chain to; null: no client certificates asked for.</summary>
    /// <remarks>Defaults to none. When given, a client certificate is required.</remarks>
    public string? ClientCaFile { get; init; }

    /// <summary>Time a client gets to finish the handshake, from accept.</summary>
    /// <remarks>Defaults to 10s.</remarks>
    public TimeSpan HandshakeTimeout { get; init; } = DefaultHandshakeTimeout;

    /// <summary>Whether the server staples an OCSP response for its own certificate.</summary>
    /// <remarks>Defaults to <see cref="OcspStapling.Auto"/>.</remarks>
    public OcspStapling OcspStaple { get; init; } = OcspStapling.Auto;

    /// <summary>The DER OCSP response file to staple, with <see cref="OcspStapling.File"/>; null otherwise.</summary>
    /// <remarks>Defaults to none.</remarks>
    public string? OcspStapleFile { get; init; }

    /// <summary>Client certificates must have a subject CN matching one of these (<c>*</c> wildcards); empty: no CN check.</summary>
    /// <remarks>Defaults to empty. With <see cref="AllowedSans"/> too, a certificate passes if either list matches.</remarks>
    public IReadOnlyList<string> AllowedCommonNames { get; init; } = [];

    /// <summary>Client certificates must have a SAN matching one of these (<c>DNS:</c>, <c>URI:</c>, <c>IP:</c> prefixes optional); empty: no SAN check.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IReadOnlyList<string> AllowedSans { get; init; } = [];
}

/// <summary><c>--ocsp-staple</c>: how the server's own certificate status reaches clients.</summary>
public enum OcspStapling
{
    /// <summary>Fetch the response from the certificate's OCSP responder (AIA) and refresh it before it expires.</summary>
    Auto,

    /// <summary>No stapling.</summary>
    Off,

    /// <summary>Staple the response in <see cref="TlsOptions.OcspStapleFile"/>, checked for the certificate and reloaded with the TLS files.</summary>
    File,
}
