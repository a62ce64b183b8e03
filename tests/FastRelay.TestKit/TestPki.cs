using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Pki;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.TestKit;

/// <summary>
/// A <c>fastrelay ca</c> CA in a temporary directory for tests, optionally with its OCSP responder running on
/// loopback port 0 (its URL written into every certificate issued afterwards). Deletes everything on dispose.
/// </summary>
internal sealed class TestPki : IAsyncDisposable
{
    private TestPki(CertificateAuthority ca, OcspResponder? responder)
    {
        Ca = ca;
        Responder = responder;
    }

    /// <summary>The CA.</summary>
    public CertificateAuthority Ca { get; }

    /// <summary>The CA directory.</summary>
    public string Directory => Ca.Files.Directory;

    /// <summary>The OCSP responder, when asked for.</summary>
    public OcspResponder? Responder { get; }

    /// <summary>The CA certificate alone, as a chain's trust anchor.</summary>
    public X509Certificate2 CaCertificate => X509CertificateLoader.LoadCertificate(Ca.Certificate.RawData);

    /// <summary>A bundle holding just this CA.</summary>
    public X509Certificate2Collection Bundle => [CaCertificate];

    /// <summary>Creates a CA; with <paramref name="ocsp"/>, starts its responder and points issued certificates at it.</summary>
    public static TestPki Create(bool ocsp = false, CaKeyType keyType = CaKeyType.Ecdsa, string? ocspUrl = null, TimeSpan? responseValidity = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "fastrelay-pki-" + Guid.NewGuid().ToString("N"));
        var ca = CertificateAuthority.Init(directory, "Test CA", keyType, 30, new CaSettings { OcspUrl = ocspUrl }, TimeProvider.System);
        OcspResponder? responder = null;
        if (ocsp)
        {
            responder = OcspResponder.Start(new IPEndPoint(IPAddress.Loopback, 0),
                new OcspResponseBuilder(ca, responseValidity ?? TimeSpan.FromHours(1), TimeProvider.System), NullLogger.Instance);
            (ca.Settings with { OcspUrl = $"http://127.0.0.1:{responder.EndPoint.Port}" }).Write(ca.Files.Settings);
            ca.Dispose();
            ca = CertificateAuthority.Open(directory, TimeProvider.System);
        }

        return new TestPki(ca, responder);
    }

    /// <summary>Issues a client certificate NAME and returns it with its key, and its serial.</summary>
    public (X509Certificate2 Certificate, string Serial) IssueClient(string name)
    {
        var entry = Ca.Issue(new IssueRequest(name, CertificateRole.Client, [], [], [], 30, null));
        return (Load(name), entry.Serial);
    }

    /// <summary>Issues a server certificate NAME for 127.0.0.1 and localhost.</summary>
    public (X509Certificate2 Certificate, string Serial) IssueServer(string name)
    {
        var entry = Ca.Issue(new IssueRequest(name, CertificateRole.Server, ["localhost"], [IPAddress.Loopback], [], 30, null));
        return (Load(name), entry.Serial);
    }

    /// <summary>The chain a TLS edge would hand the checker: leaf, then the CA.</summary>
    public IReadOnlyList<X509Certificate2> Chain(X509Certificate2 leaf) => [leaf, CaCertificate];

    /// <summary>Writes a fresh CRL (PEM) to <paramref name="path"/> via a temp file and a rename, as <c>ca crl</c> does.</summary>
    public void WriteCrl(string path, TimeSpan? validity = null)
    {
        var der = Ca.BuildCrl(validity ?? TimeSpan.FromDays(7));
        File.WriteAllText(path + ".tmp", System.Security.Cryptography.PemEncoding.WriteString("X509 CRL", der) + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Loads DIR/NAME.pem with DIR/NAME.key.</summary>
    public X509Certificate2 Load(string name)
    {
        var (certificate, key) = Ca.Files.Issued(name);
        return X509Certificate2.CreateFromPemFile(certificate, key);
    }

    public async ValueTask DisposeAsync()
    {
        if (Responder is not null)
        {
            await Responder.DisposeAsync();
        }

        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the test result is what matters.
        }
    }
}
