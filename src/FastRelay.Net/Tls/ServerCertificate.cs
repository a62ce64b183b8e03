using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>The server's certificate as loaded: the context every handshake reuses, and facts for the log.</summary>
/// <param name="Context">Built once per load and given to every handshake.</param>
/// <param name="Leaf">The server certificate (with its private key).</param>
/// <param name="IntermediateCount">Certificates sent after the leaf.</param>
/// <param name="Shared">The native context every handshake shares; null when each gets its own (<see cref="ContextNote"/> says why).</param>
/// <param name="ContextNote">"shared TLS context", or why not, for the log line.</param>
internal sealed record ServerCertificate(SslStreamCertificateContext Context, X509Certificate2 Leaf, int IntermediateCount, SharedServerContext? Shared, string ContextNote)
{
    /// <summary>"CN=edge.corp (ECDSA, 1 intermediates, SHA-256 ab12…, valid until …)" for the loaded/reloaded log line.</summary>
    public override string ToString() =>
        $"{Leaf.Subject} ({Leaf.GetKeyAlgorithmName()}, {IntermediateCount} intermediates, SHA-256 {Leaf.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…, valid until {Leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z; {ContextNote})";
}

internal static class CertificateExtensions
{
    private const string EcPublicKey = "1.2.840.10045.2.1";
    private const string RsaEncryption = "1.2.840.113549.1.1.1";

    /// <summary>ECDSA, RSA, or the key algorithm's OID.</summary>
    public static string GetKeyAlgorithmName(this X509Certificate2 certificate) => certificate.PublicKey.Oid.Value switch
    {
        EcPublicKey => "ECDSA",
        RsaEncryption => "RSA",
        var other => other ?? "unknown key type",
    };
}
