using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;

namespace FastRelay.Pki;

/// <summary>
/// The enterprise CA of <c>fastrelay ca</c>: one self-signed root in a directory (ca.pem, ca.key mode 0600,
/// ca.json, index.txt, crlnumber) that issues server and client certificates, revokes them, signs CRLs and
/// (through <see cref="OcspResponseBuilder"/>) OCSP responses. Meant for small sites and tests; large ones
/// use their own PKI and give FastRelay only the CA bundle.
/// </summary>
/// <remarks>
/// Lives in FastRelay.Net rather than the exe so that tests and the OCSP responder use the same code the
/// command does, and not in Core because it reads and writes files (STYLE.md H2). Every failure is a
/// <see cref="PkiException"/> whose message names the directory or file and what was expected.
/// Not thread-safe; the database is protected across processes by <see cref="CaFiles.Lock"/>.
/// </remarks>
internal sealed partial class CertificateAuthority : IDisposable
{
    private readonly TimeProvider _time;

    private CertificateAuthority(CaFiles files, X509Certificate2 certificate, CaSettings settings, TimeProvider time)
    {
        Files = files;
        Certificate = certificate;
        Settings = settings;
        _time = time;
    }

    /// <summary>The CA's files.</summary>
    public CaFiles Files { get; }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>What <c>ca init</c> recorded.</summary>
    public CaSettings Settings { get; }

    /// <summary>
    /// Creates a CA in <paramref name="directory"/> (created if missing; must not already hold a CA).
    /// </summary>
    public static CertificateAuthority Init(string directory, string name, CaKeyType keyType, int days, CaSettings settings, TimeProvider time)
    {
        var files = new CaFiles(directory);
        if (File.Exists(files.Certificate) || File.Exists(files.Key))
        {
            throw new PkiException($"{files.Directory}: already holds a CA (ca.pem or ca.key exists); choose another --dir or remove it");
        }

        // A CA's records without its certificate and key (moved aside, a restore in progress): a new CA here would
        // empty the index, losing its revocations, and start the CRL numbers again.
        if (new[] { files.Index, files.CrlNumber, files.Settings }.FirstOrDefault(File.Exists) is { } record)
        {
            throw new PkiException($"{files.Directory}: holds a CA's records ({Path.GetFileName(record)} exists) without its ca.pem and ca.key; restore them, or choose another --dir");
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(files.Directory);
            }
            else
            {
                // Each missing folder on the way with the mode, not only the last (.NET makes the others 0777 less the
                // umask: world-writable under umask 000). An existing one keeps its mode.
                var missing = new Stack<string>();
                for (var folder = Path.GetFullPath(files.Directory); !System.IO.Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
                {
                    missing.Push(folder);
                }

                while (missing.TryPop(out var folder))
                {
                    System.IO.Directory.CreateDirectory(folder, CaFiles.DirectoryMode);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PkiException($"{files.Directory}: cannot create the directory ({ex.Message})", ex);
        }

        using var key = CreateKey(keyType);
        var request = CreateRequest(new X500DistinguishedName("CN=" + name), key);

        // RFC 5280 4.2.1.9/4.2.1.3: a CA certificate has BasicConstraints cA=TRUE (critical) and keyCertSign,
        // cRLSign; digitalSignature lets the CA key sign OCSP responses itself (RFC 6960 4.2.2.2).
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);

        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
        using (files.Lock())
        {
            CaFiles.WritePrivateKey(files.Key, key);
            CaFiles.WritePublicText(files.Certificate, certificate.ExportCertificatePem() + "\n");
            CaIndex.Write(files.Index, []);
            CaFiles.WritePublicText(files.CrlNumber, "1\n");
            (settings with { KeyType = keyType }).Write(files.Settings);
        }

        return Open(directory, time);
    }

    /// <summary>Opens the CA in <paramref name="directory"/>; throws naming what is missing or bad.</summary>
    public static CertificateAuthority Open(string directory, TimeProvider time)
    {
        var files = new CaFiles(directory);
        if (!System.IO.Directory.Exists(files.Directory))
        {
            throw new PkiException($"{files.Directory}: no such directory; create a CA there with 'fastrelay ca init --dir {directory}'");
        }

        foreach (var required in new[] { files.Certificate, files.Key, files.Index, files.Settings })
        {
            if (!File.Exists(required))
            {
                throw new PkiException($"{files.Directory}: no CA here ({Path.GetFileName(required)} is missing); create one with 'fastrelay ca init --dir {directory}'");
            }
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(
                CaFiles.ReadText(files.Certificate, OperatorFile.MaxPemBytes, "PEM"), CaFiles.ReadText(files.Key, OperatorFile.MaxPemBytes, "PEM"));
        }
        catch (CryptographicException ex)
        {
            throw new PkiException($"{files.Certificate} / {files.Key}: not a PEM certificate with its private key ({ex.Message})", ex);
        }
        catch (ArgumentException ex)
        {
            // A key of the certificate's type that is not its key (another CA's ca.key copied in).
            throw new PkiException($"{files.Key}: not the private key of {files.Certificate} (the key does not match the certificate's public key); restore this CA's own ca.key", ex);
        }

        // Read now, not at the first request: a damaged index is said at start (ca ocsp), naming its line.
        _ = CaIndex.Read(files.Index);
        return new CertificateAuthority(files, certificate, CaSettings.Read(files.Settings), time);
    }

    /// <summary>The database's entries.</summary>
    public List<CaIndexEntry> ReadIndex() => CaIndex.Read(Files.Index);

    public void Dispose() => Certificate.Dispose();

    internal static AsymmetricAlgorithm CreateKey(CaKeyType type) =>
        type == CaKeyType.Rsa ? RSA.Create(3072) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

    internal static CertificateRequest CreateRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ecdsa => new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256),
        _ => throw new PkiException($"unsupported key type {key.GetType().Name}"),
    };
}
