using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>
/// The server side of every handshake: TLS 1.3 and 1.2 only, AEAD suites only (AES-GCM, ChaCha20-Poly1305),
/// no renegotiation, the current certificate context, and, with <c>--client-ca</c>, a required client
/// certificate checked against that bundle alone.
/// </summary>
internal static class ServerAuthentication
{
    /// <summary>TLS 1.2 and 1.3; older versions are refused in the handshake.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// The suites offered: every TLS 1.3 suite (all AEAD), and the ECDHE AEAD suites of TLS 1.2 for ECDSA and
    /// RSA keys. Null where the platform cannot restrict suites (then the OS defaults apply).
    /// </summary>
    /// <remarks>
    /// A measured trade-off (bench/README.md, "mTLS"): on Linux, .NET caches its native SSL_CTX (and with it the
    /// server's session cache and tickets) only when no CipherSuitesPolicy is set (Interop.OpenSsl.AllocateSslHandle,
    /// <c>cacheSslContext</c>), so this policy means a fresh SSL_CTX per handshake and no session resumption.
    /// Full handshakes cost the same within noise either way (1.25-1.35 ms of relay CPU); the strict suite list
    /// is kept, as the issue asks for modern suites only.
    /// </remarks>
    public static readonly CipherSuitesPolicy? ModernSuites = CreateModernSuites();

    /// <summary>Options for one handshake with <paramref name="material"/>; <paramref name="validate"/> records the client certificate verdict.</summary>
    public static SslServerAuthenticationOptions Create(TlsMaterial material, RemoteCertificateValidationCallback validate) => new()
    {
        ServerCertificateContext = material.Server.Context,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = ModernSuites,
        AllowRenegotiation = false,
        ClientCertificateRequired = material.ClientCa is not null,
        CertificateChainPolicy = material.ClientCa?.ChainPolicy,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = material.ClientCa is null ? null : validate,
    };

    private static CipherSuitesPolicy? CreateModernSuites()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return null; // Windows takes suites from the system policy (CipherSuitesPolicy is not supported there).
        }

        return new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]);
    }
}
