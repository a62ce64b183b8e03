using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.TestKit;

/// <summary>
/// A throwaway PKI for TLS tests, made with the BCL's CertificateRequest: a root CA and an intermediate for the
/// server (the server file holds leaf then intermediate), client certificates issued by the root (valid,
/// expired, wrong EKU), and a second, untrusted CA with its own client. ECDSA P-256 by default, RSA 2048 on
/// request. Everything is also written as PEM files to a temp folder (for process tests and openssl), removed
/// on dispose.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private readonly bool _rsa;

    private TestCertificates(bool rsa)
    {
        _rsa = rsa;
        Directory = System.IO.Directory.CreateTempSubdirectory("fastrelay-tls-").FullName;
        var now = DateTimeOffset.UtcNow;
        Ca = CreateCa("CN=FastRelay Test Root CA", null, now.AddDays(-1), now.AddYears(5));
        Intermediate = CreateCa("CN=FastRelay Test Server Intermediate", Ca, now.AddDays(-1), now.AddYears(4));
        OtherCa = CreateCa("CN=Some Other CA", null, now.AddDays(-1), now.AddYears(5));
        Server = Issue(Intermediate, "CN=edge.test", ServerAuth, now.AddDays(-1), now.AddYears(1), dns: ["edge.test", "localhost"], ips: [IPAddress.Loopback]);
        Client = IssueClient("desk-7", uri: "spiffe://corp/desk/7");
        ExpiredClient = Issue(Ca, "CN=desk-old", ClientAuth, now.AddDays(-30), now.AddDays(-1), dns: ["desk-old.corp"]);
        WrongEkuClient = Issue(Ca, "CN=desk-server-eku", ServerAuth, now.AddDays(-1), now.AddYears(1), dns: ["desk-eku.corp"]);
        WrongCaClient = Issue(OtherCa, "CN=desk-7", ClientAuth, now.AddDays(-1), now.AddYears(1), dns: ["desk-7.corp"]);

        CaFile = Write("client-ca.pem", Ca);
        ServerCertFile = Write("server.pem", Server, Intermediate);
        ServerKeyFile = WriteKey("server.key", Server);
        ClientCertFile = Write("client.pem", Client);
        ClientKeyFile = WriteKey("client.key", Client);
        ServerRootFile = Write("server-root.pem", Ca);
    }

    /// <summary>The folder the PEM files are in.</summary>
    public string Directory { get; }

    /// <summary>The root CA: trusted for clients (<see cref="CaFile"/>), and the root of the server's chain.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The intermediate that issued the server certificate.</summary>
    public X509Certificate2 Intermediate { get; }

    /// <summary>A CA nobody trusts.</summary>
    public X509Certificate2 OtherCa { get; }

    /// <summary>The server leaf (with key): DNS edge.test and localhost, IP 127.0.0.1.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A valid client (with key): CN desk-7, SAN DNS desk-7.corp, URI spiffe://corp/desk/7, clientAuth.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>Expired yesterday.</summary>
    public X509Certificate2 ExpiredClient { get; }

    /// <summary>EKU serverAuth only.</summary>
    public X509Certificate2 WrongEkuClient { get; }

    /// <summary>Issued by <see cref="OtherCa"/>.</summary>
    public X509Certificate2 WrongCaClient { get; }

    /// <summary>PEM of the root CA, for <c>--client-ca</c>.</summary>
    public string CaFile { get; }

    /// <summary>PEM of the server leaf then the intermediate, for <c>--tls-cert</c>.</summary>
    public string ServerCertFile { get; }

    /// <summary>PEM key of the server, for <c>--tls-key</c>.</summary>
    public string ServerKeyFile { get; }

    /// <summary>PEM of <see cref="Client"/> and its key (for openssl s_client).</summary>
    public string ClientCertFile { get; }

    /// <summary>PEM key of <see cref="Client"/>.</summary>
    public string ClientKeyFile { get; }

    /// <summary>PEM of the root, for a client that verifies the server (openssl -CAfile).</summary>
    public string ServerRootFile { get; }

    /// <summary>Makes a new PKI (ECDSA P-256 keys, or RSA 2048 with <paramref name="rsa"/>).</summary>
    public static TestCertificates Create(bool rsa = false) => new(rsa);

    /// <summary>Issues a client certificate from the root CA: CN <paramref name="commonName"/>, SAN DNS <c>{cn}.corp</c> (and the URI), clientAuth.</summary>
    public X509Certificate2 IssueClient(string commonName, string? uri = null, IPAddress? ip = null)
    {
        var now = DateTimeOffset.UtcNow;
        return Issue(Ca, $"CN={commonName}", ClientAuth, now.AddDays(-1), now.AddYears(1), dns: [$"{commonName}.corp"], uri: uri, ips: ip is null ? [] : [ip]);
    }

    /// <summary>Issues a new server certificate (with key) from the intermediate, for reload tests.</summary>
    public X509Certificate2 IssueServer(string commonName)
    {
        var now = DateTimeOffset.UtcNow;
        return Issue(Intermediate, $"CN={commonName}", ServerAuth, now.AddDays(-1), now.AddYears(1), dns: ["edge.test", "localhost"], ips: [IPAddress.Loopback]);
    }

    /// <summary>Writes <paramref name="certificates"/> as one PEM file in <see cref="Directory"/>; returns its path.</summary>
    public string Write(string name, params X509Certificate2[] certificates)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));
        return path;
    }

    /// <summary>Writes the private key of <paramref name="certificate"/> as PKCS#8 PEM; returns its path.</summary>
    public string WriteKey(string name, X509Certificate2 certificate)
    {
        var path = Path.Combine(Directory, name);
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()!;
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem() + "\n");
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process under test may still hold a file open: the temp folder is cleaned by the OS later.
        }
    }

    private X509Certificate2 CreateCa(string subject, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var (request, key) = NewRequest(subject);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            using (key)
            {
                return request.CreateSelfSigned(notBefore, notAfter);
            }
        }

        return Sign(request, key, issuer, notBefore, notAfter);
    }

    private X509Certificate2 Issue(X509Certificate2 issuer, string subject, string eku, DateTimeOffset notBefore, DateTimeOffset notAfter,
        string[] dns, string? uri = null, IPAddress[]? ips = null)
    {
        var (request, key) = NewRequest(subject);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (_rsa ? X509KeyUsageFlags.KeyEncipherment : 0), true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dns)
        {
            san.AddDnsName(name);
        }

        if (uri is not null)
        {
            san.AddUri(new Uri(uri));
        }

        foreach (var ip in ips ?? [])
        {
            san.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(san.Build());
        return Sign(request, key, issuer, notBefore, notAfter);
    }

    private static X509Certificate2 Sign(CertificateRequest request, AsymmetricAlgorithm key, X509Certificate2 issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using (key)
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7F;
            var bounded = notAfter > issuer.NotAfter ? new DateTimeOffset(issuer.NotAfter) : notAfter;
            using var signed = issuer.GetECDsaPrivateKey() is { } ecIssuer
                ? request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(ecIssuer), notBefore, bounded, serial)
                : request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForRSA(issuer.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1), notBefore, bounded, serial);
            var withKey = key is ECDsa ec ? signed.CopyWithPrivateKey(ec) : signed.CopyWithPrivateKey((RSA)key);

            // Through PKCS#12 once: an ephemeral key cannot be used by SslStream as a client certificate on every platform.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
    }

    private (CertificateRequest Request, AsymmetricAlgorithm Key) NewRequest(string subject)
    {
        if (_rsa)
        {
            var rsa = RSA.Create(2048);
            return (new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), rsa);
        }

        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256), ecdsa);
    }
}
