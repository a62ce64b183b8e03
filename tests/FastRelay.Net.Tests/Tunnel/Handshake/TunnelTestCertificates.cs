using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tunnel.Handshake;

/// <summary>A throwaway enterprise CA and leaves for CA-mode handshakes (ECDSA P-256 unless asked otherwise).</summary>
internal sealed class TunnelTestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private int _crlNumber;

    public TunnelTestCertificates(string name = "Tunnel Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2Collection Roots => [Ca];

    /// <summary>A leaf for an edge (clientAuth) or an exit (serverAuth), with its private key.</summary>
    public X509Certificate2 Leaf(string name, bool isEdge, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null,
        bool rsa = false, string? eku = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = key is RSA r
            ? new CertificateRequest($"CN={name}", r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={name}", (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku ?? (isEdge ? ClientAuth : ServerAuth))], false));
        var serial = RandomNumberGenerator.GetBytes(8);
        using var caKey = Ca.GetECDsaPrivateKey()!;
        using var issued = request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30), serial);
        return key is RSA rsaKey ? issued.CopyWithPrivateKey(rsaKey) : issued.CopyWithPrivateKey((ECDsa)key);
    }

    /// <summary>Writes a CRL (PEM) signed by this CA that lists <paramref name="revoked"/>, via a temp file and a rename.</summary>
    public void WriteCrl(string path, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-5));
        }

        var der = builder.Build(Ca, System.Numerics.BigInteger.One + _crlNumber++, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256);
        File.WriteAllText(path + ".tmp", PemEncoding.WriteString("X509 CRL", der) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public TunnelCredential Credential(string name, bool isEdge, TimeSpan? bindingLifetime = null)
        => new(Leaf(name, isEdge), null, bindingLifetime);

    public void Dispose() => Ca.Dispose();
}
