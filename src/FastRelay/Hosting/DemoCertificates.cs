using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Hosting;

/// <summary>
/// Throwaway certificates for <c>fastrelay demo</c>: a CA, an ECDSA P-256 server certificate and one client
/// certificate with clientAuth, written as PEM to a temp folder that is removed on dispose (the load harness
/// has its own copy, bench/FastRelay.Bench/Tls/BenchPki.cs).
/// </summary>
internal sealed class DemoCertificates : IDisposable
{
    private DemoCertificates(string directory, X509Certificate2 ca, X509Certificate2 client)
    {
        Directory = directory;
        Ca = ca;
        Client = client;
    }

    /// <summary>The folder the PEM files are in.</summary>
    public string Directory { get; }

    /// <summary>The CA (trusted by both sides).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The client certificate with its key.</summary>
    public X509Certificate2 Client { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string ServerCertFile => Path.Combine(Directory, "server.pem");

    public string ServerKeyFile => Path.Combine(Directory, "server.key");

    /// <summary>Makes the certificates; <paramref name="rsaServer"/> picks an RSA 2048 server key instead of ECDSA P-256.</summary>
    public static DemoCertificates Create(bool rsaServer = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("fastrelay-demo-pki-").FullName;
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=FastRelay Demo CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        AsymmetricAlgorithm serverKey = rsaServer ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var server = Issue(ca, caKey, "CN=localhost", serverKey, "1.3.6.1.5.5.7.3.1", san => { san.AddDnsName("localhost"); san.AddIpAddress(IPAddress.Loopback); });
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Issue(ca, caKey, "CN=demo-desk-1", clientKey, "1.3.6.1.5.5.7.3.2", san => san.AddDnsName("demo-desk-1.corp"));

        File.WriteAllText(Path.Combine(directory, "ca.pem"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        serverKey.Dispose();
        return new DemoCertificates(directory, ca, X509CertificateLoader.LoadPkcs12(client.Export(X509ContentType.Pkcs12), null));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // The relay may still be closing the files; the OS cleans its temp folder later.
        }
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, ECDsa caKey, string subject, AsymmetricAlgorithm key, string eku, Action<SubjectAlternativeNameBuilder> names)
    {
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        return key is RSA r ? signed.CopyWithPrivateKey(r) : signed.CopyWithPrivateKey((ECDsa)key);
    }
}
