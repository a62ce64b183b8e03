using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Pki;

internal sealed partial class CertificateAuthority
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Issues a certificate and its key, writes DIR/NAME.pem and DIR/NAME.key (0600), records it in
    /// index.txt and returns the entry (its serial is what <c>ca revoke</c> takes).
    /// </summary>
    public CaIndexEntry Issue(IssueRequest request)
    {
        var (certificatePath, keyPath) = Files.Issued(request.Name);
        using (Files.Lock())
        {
            foreach (var path in new[] { certificatePath, keyPath })
            {
                if (File.Exists(path))
                {
                    throw new PkiException($"{path}: already exists; choose another --name or remove the old files");
                }
            }

            using var key = CreateKey(request.KeyType ?? Settings.KeyType);
            using var certificate = CreateCertificate(request, key);
            CaFiles.WritePrivateKey(keyPath, key);
            CaFiles.WritePublicText(certificatePath, certificate.ExportCertificatePem() + "\n");

            var entry = new CaIndexEntry(
                SerialNumber.Format(certificate.SerialNumberBytes.Span), certificate.NotAfter.ToUniversalTime(), null,
                X509RevocationReason.Unspecified, request.Name, "/CN=" + request.Name);
            var index = ReadIndex();
            index.Add(entry);
            CaIndex.Write(Files.Index, index);
            return entry;
        }
    }

    private X509Certificate2 CreateCertificate(IssueRequest request, AsymmetricAlgorithm key)
    {
        var subject = new X500DistinguishedName("CN=" + request.Name);
        var csr = CreateRequest(subject, key);
        csr.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));

        // ECDSA keys only sign; RSA keys may also be asked to encipher by old TLS 1.2 peers (RFC 5246 7.4.7.1).
        var usage = key is RSA ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature;
        csr.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        csr.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { request.Role == CertificateRole.Server ? ServerAuth : ClientAuth }, false));
        if (BuildSubjectAlternativeName(request) is { } san)
        {
            csr.CertificateExtensions.Add(san);
        }

        csr.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(csr.PublicKey, false));
        csr.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (Settings.OcspUrl is { } ocsp)
        {
            csr.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocsp], null));
        }

        if (Settings.CrlUrl is { } crl)
        {
            csr.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crl]));
        }

        var now = _time.GetUtcNow();
        var notAfter = now.AddDays(request.Days);
        var caNotAfter = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        // Signed through a generator for the CA's own key type, so an ECDSA CA can issue RSA keys and back.
        using var caKey = (AsymmetricAlgorithm?)Certificate.GetECDsaPrivateKey() ?? Certificate.GetRSAPrivateKey()!;
        var signer = caKey is ECDsa ecdsaCa ? X509SignatureGenerator.CreateForECDsa(ecdsaCa) : X509SignatureGenerator.CreateForRSA((RSA)caKey, RSASignaturePadding.Pkcs1);
        using var issued = csr.Create(Certificate.SubjectName, signer, now.AddMinutes(-5), notAfter < caNotAfter ? notAfter : caNotAfter, SerialNumber.NewRandom());
        return key switch
        {
            RSA rsa => issued.CopyWithPrivateKey(rsa),
            ECDsa ecdsa => issued.CopyWithPrivateKey(ecdsa),
            _ => throw new PkiException("unsupported key type"),
        };
    }

    private static X509Extension? BuildSubjectAlternativeName(IssueRequest request)
    {
        if (request.DnsNames.Count + request.IpAddresses.Count + request.Uris.Count == 0)
        {
            return null;
        }

        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in request.DnsNames)
        {
            san.AddDnsName(dns.ToLower(CultureInfo.InvariantCulture));
        }

        foreach (var ip in request.IpAddresses)
        {
            san.AddIpAddress(ip);
        }

        foreach (var uri in request.Uris)
        {
            san.AddUri(uri);
        }

        return san.Build();
    }
}
