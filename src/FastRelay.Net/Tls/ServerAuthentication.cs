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

    // Before ModernSuites, which is built from it (static initializers run in text order).
    private static readonly TlsCipherSuite[] AllowedSuites =
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
    ];

    /// <summary>
    /// The suites offered: every TLS 1.3 suite (all AEAD), and the ECDHE AEAD suites of TLS 1.2 for ECDSA and
    /// RSA keys. Null where the platform cannot restrict suites (then the OS defaults apply).
    /// </summary>
    /// <remarks>
    /// Used per handshake only where the shared context cannot be prepared (<see cref="SharedServerContext"/>): on
    /// Linux a policy makes .NET build a native SSL_CTX per connection (about 9 KiB each, for the connection's life).
    /// </remarks>
    public static readonly CipherSuitesPolicy? ModernSuites = CreateModernSuites();

    /// <summary>Whether <paramref name="suite"/> is one of the suites above.</summary>
    public static bool IsModern(TlsCipherSuite suite) => Array.IndexOf(AllowedSuites, suite) >= 0;

    /// <summary>Options for one handshake with <paramref name="material"/>; <paramref name="validate"/> records the client certificate verdict.</summary>
    public static SslServerAuthenticationOptions Create(TlsMaterial material, RemoteCertificateValidationCallback validate) => new()
    {
        ServerCertificateContext = material.Server.Context,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = material.Server.Shared is null ? ModernSuites : null, // The shared context has the suites.
        // Every connection proves its certificate. The shared context issues no tickets and keeps no sessions itself;
        // the flag stays on there because .NET 10 looks a shared context up only for handshakes that allow resumption.
        AllowTlsResume = material.Server.Shared is not null,
        AllowRenegotiation = false,
        ClientCertificateRequired = material.ClientCa is not null,
        CertificateChainPolicy = material.ClientCa?.ChainPolicy,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = material.ClientCa is null ? null : validate,
    };

    /// <summary>
    /// The options of <see cref="SharedServerContext"/>'s warm-up handshake: what makes .NET build and cache the
    /// context every later handshake with <paramref name="certificate"/> shares (no policy, the same protocols).
    /// </summary>
    public static SslServerAuthenticationOptions CreateShared(SslStreamCertificateContext certificate) => new()
    {
        ServerCertificateContext = certificate,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = null,
        AllowRenegotiation = false,
    };

    private static CipherSuitesPolicy? CreateModernSuites()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return null; // Windows takes suites from the system policy (CipherSuitesPolicy is not supported there).
        }

        return new CipherSuitesPolicy(AllowedSuites);
    }
}
