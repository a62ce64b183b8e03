namespace FastRelay.Pki;

/// <summary>The key algorithm of a CA or of a certificate it issues.</summary>
internal enum CaKeyType
{
    /// <summary>ECDSA on P-256 with SHA-256: small, fast handshakes, supported everywhere TLS 1.2+ is.</summary>
    Ecdsa,

    /// <summary>RSA 3072 with SHA-256 (NIST SP 800-57: 128-bit strength, like P-256) for old clients.</summary>
    Rsa,
}
