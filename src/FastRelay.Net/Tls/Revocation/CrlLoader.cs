using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// Reads a CRL file (PEM or DER), finds the CA of the bundle that issued it (by name) and verifies its
/// signature with that CA's key: a CRL nobody in the bundle signed could otherwise "unrevoke" nothing but
/// would still be trusted to say "good" under hard-fail.
/// </summary>
internal static class CrlLoader
{
    // A CRL lists every revoked serial the CA still vouches for: enterprise CRLs are kilobytes, the largest public
    // ones tens of megabytes.
    private const int MaxBytes = 64 << 20;

    /// <summary>
    /// Reads the file alone: also used when the CA bundle could not be loaded, so that an unreadable CRL is listed with
    /// that error (cli.md: every error at once) even though its signature cannot be checked.
    /// </summary>
    /// <exception cref="RevocationLoadException">The file cannot be read, naming the flag and the file.</exception>
    public static byte[] Read(string path, string flag = "--crl") =>
        OperatorFile.TryRead(path, MaxBytes, "CRL", out var bytes, out var problem)
            ? bytes
            : throw new RevocationLoadException($"{flag} {path}: {problem}");

    /// <summary>
    /// Reads and parses each of <paramref name="paths"/> without verifying it, for when the CA bundle could not be
    /// loaded: each file that cannot be read, or holds no CRL, adds its line to <paramref name="errors"/> (cli.md: every
    /// error at once); only the signature and the issuer wait for a bundle.
    /// </summary>
    public static void ReadEach(IEnumerable<string> paths, string flag, List<string> errors)
    {
        foreach (var path in paths.Distinct(StringComparer.Ordinal))
        {
            try
            {
                _ = Parse(Read(path, flag), path, flag);
            }
            catch (RevocationLoadException ex)
            {
                errors.Add(ex.Message);
            }
        }
    }

    /// <summary>Loads <paramref name="path"/>; throws <see cref="RevocationLoadException"/> naming the file and the problem.</summary>
    /// <param name="path">The CRL file.</param>
    /// <param name="trustedCas">The CAs one of which must have signed it.</param>
    /// <param name="flag">The flag that named the file, for the errors (<c>--crl</c>, <c>--tunnel-crl</c>).</param>
    /// <param name="bundleFlag">The flag of the CA bundle, for the errors (<c>--client-ca</c>, <c>--tunnel-ca</c>).</param>
    public static LoadedCrl Load(string path, X509Certificate2Collection trustedCas, string flag = "--crl", string bundleFlag = "--client-ca")
    {
        var crl = Parse(Read(path, flag), path, flag);
        var issuerName = crl.IssuerDN.GetEncoded();
        // The same bytes, or else the same name in another encoding (PrintableString against UTF8String, as RFC 5280
        // 7.1 compares names): the signature below decides, and says "tampered or another CA" when it is not ours.
        var issuer = trustedCas.FirstOrDefault(ca => ca.SubjectName.RawData.AsSpan().SequenceEqual(issuerName))
            ?? trustedCas.FirstOrDefault(ca => crl.IssuerDN.Equivalent(Org.BouncyCastle.Asn1.X509.X509Name.GetInstance(ca.SubjectName.RawData), inOrder: true))
            ?? throw new RevocationLoadException($"{flag} {path}: issued by '{crl.IssuerDN}', which is not a CA of the {bundleFlag} bundle");
        try
        {
            crl.Verify(new X509CertificateParser().ReadCertificate(issuer.RawData).GetPublicKey());
        }
        catch (Exception ex) when (ex is InvalidKeyException or SignatureException or CertificateException or InvalidOperationException)
        {
            throw new RevocationLoadException($"{flag} {path}: signature does not verify with the key of '{issuer.Subject}' (tampered, or from another CA with the same name)", ex);
        }

        var revoked = new Dictionary<byte[], DateTimeOffset>(ByteKeyComparer.Instance);
        foreach (var entry in crl.GetRevokedCertificates() ?? new HashSet<X509CrlEntry>())
        {
            revoked[entry.SerialNumber.ToByteArray()] = new DateTimeOffset(entry.RevocationDate, TimeSpan.Zero);
        }

        return new LoadedCrl(path, issuerName, issuer.PublicKey.EncodedKeyValue.RawData, new DateTimeOffset(crl.ThisUpdate, TimeSpan.Zero),
            crl.NextUpdate is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null, revoked)
        {
            // Looked up under both when they differ: leaves carry their issuer's name as the CA certificate spells it.
            CaSubjectName = issuer.SubjectName.RawData,
        };
    }

    private static X509Crl Parse(byte[] bytes, string path, string flag)
    {
        try
        {
            // X509CrlParser takes DER and PEM ("-----BEGIN X509 CRL-----") alike.
            return new X509CrlParser().ReadCrl(bytes) ?? throw new RevocationLoadException($"{flag} {path}: {WhatItHolds(bytes)}; expected a CRL in PEM or DER");
        }
        catch (Exception ex) when (ex is not RevocationLoadException)
        {
            throw new RevocationLoadException($"{flag} {path}: not a CRL in PEM or DER ({ex.Message})", ex);
        }
    }

    // The parser finds no CRL in a certificate, a key or garbage alike: say which it was, so that "empty" means empty.
    private static string WhatItHolds(byte[] bytes)
    {
        if (bytes.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            return "empty";
        }

        var text = System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024));
        var begin = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        var end = begin < 0 ? -1 : text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
        return end > begin ? $"holds a PEM '{text[(begin + 11)..end]}' block, not an 'X509 CRL'" : "no CRL in it (neither a PEM 'X509 CRL' block nor DER)";
    }
}
