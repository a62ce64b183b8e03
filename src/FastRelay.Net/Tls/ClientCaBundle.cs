using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>
/// The <c>--client-ca</c> bundle: the only trust anchors for client certificates (never the system store),
/// and the chain policy every handshake validates with. Immutable once built.
/// </summary>
internal sealed class ClientCaBundle
{
    /// <summary>clientAuth (RFC 5280 section 4.2.1.12).</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private ClientCaBundle(string path, X509Certificate2Collection certificates)
    {
        Path = path;
        Certificates = certificates;
        ChainPolicy = new X509ChainPolicy
        {
            // Custom root trust: a certificate from any CA the system trusts, but not in the bundle, is rejected.
            TrustMode = X509ChainTrustMode.CustomRootTrust,

            // Revocation is the revocation checker's job, after the handshake (IRevocationChecker); no
            // network fetch may happen inside the handshake (AIA downloads would let a client make us dial).
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        ChainPolicy.CustomTrustStore.AddRange(certificates);
        ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthOid));
    }

    /// <summary>The file it came from.</summary>
    public string Path { get; }

    /// <summary>Every CA certificate of the bundle.</summary>
    public X509Certificate2Collection Certificates { get; }

    /// <summary>The policy SslStream builds each client chain with (it copies it per handshake).</summary>
    public X509ChainPolicy ChainPolicy { get; }

    /// <summary>Loads the bundle; every certificate in it must be a CA.</summary>
    /// <exception cref="TlsLoadException">The file is missing or malformed, or holds a non-CA certificate.</exception>
    public static ClientCaBundle Load(string path)
    {
        var certificates = PemFiles.ReadCertificates("--client-ca", path);
        foreach (var certificate in certificates)
        {
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true })
            {
                throw new TlsLoadException($"--client-ca {path}: '{certificate.Subject}' is not a CA certificate (no basicConstraints CA:TRUE); the bundle holds the CAs that issue client certificates");
            }
        }

        return new ClientCaBundle(path, certificates);
    }
}
