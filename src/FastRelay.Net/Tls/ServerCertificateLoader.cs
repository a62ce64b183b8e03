using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;

namespace FastRelay.Tls;

/// <summary>
/// Loads <c>--tls-cert</c> (PEM: leaf first, then intermediates) and <c>--tls-key</c> (PEM: ECDSA or RSA) into a
/// <see cref="ServerCertificate"/>, checking that the key matches and the certificate is in date. Every
/// problem becomes a <see cref="TlsLoadException"/> that names the file.
/// </summary>
internal static class ServerCertificateLoader
{
    /// <summary>Loads both files; <paramref name="trust"/> names the client CAs sent in the CertificateRequest (null: none).</summary>
    /// <exception cref="TlsLoadException">A file is missing, unreadable, malformed, or the key does not match.</exception>
    public static ServerCertificate Load(TlsOptions options, SslCertificateTrust? trust, DateTimeOffset now)
    {
        var certificates = PemFiles.ReadCertificates("--tls-cert", options.CertificateFile);
        var leaf = certificates[0];
        var keyText = PemFiles.ReadText("--tls-key", options.KeyFile);
        var withKey = AttachKey(leaf, keyText, options);
        if (withKey.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            throw new TlsLoadException($"--tls-cert {options.CertificateFile}: the certificate '{leaf.Subject}' expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z");
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < certificates.Count; i++)
        {
            intermediates.Add(certificates[i]);
        }

        // The one place the context is built. offline: false lets .NET fetch the OCSP response from the
        // certificate's responder (AIA) and refresh it before nextUpdate; offline: true turns that (and any
        // other download) off, and with --ocsp-staple FILE the file's response is attached instead
        // (docs/revocation.md), before the context's first handshake.
        var context = SslStreamCertificateContext.Create(withKey, intermediates, offline: options.OcspStaple != OcspStapling.Auto, trust);
        if (options.OcspStaple == OcspStapling.File)
        {
            AttachStaple(context, options.OcspStapleFile!, intermediates.Count > 0 ? intermediates[0] : null, now);
        }

        // Last: the warm-up handshake builds the native context, which reads the staple state set above.
        var shared = SharedServerContext.TryPrepare(context, out var note);
        return new ServerCertificate(context, withKey, intermediates.Count, shared, note);
    }

    /// <summary>
    /// Reads <c>--ocsp-staple FILE</c>; also on its own when the certificate could not be loaded, so that a bad staple
    /// file is listed with that error (cli.md: every error at once).
    /// </summary>
    /// <exception cref="TlsLoadException">The file cannot be read, naming the flag and the file.</exception>
    public static byte[] ReadStaple(string file) =>
        // An OCSP response is a few hundred bytes to a few KiB; 1 MiB leaves room for a responder's certificate chain.
        OperatorFile.TryRead(file, 1 << 20, "DER OCSP response", out var bytes, out var problem)
            ? bytes
            : throw new TlsLoadException($"--ocsp-staple {file}: {problem}");

    private static void AttachStaple(SslStreamCertificateContext context, string file, X509Certificate2? issuer, DateTimeOffset now)
    {
        var bytes = ReadStaple(file);

        if (!Stapling.OcspStapleValidator.TryValidate(bytes, context.TargetCertificate, issuer, now, out var der, out var nextUpdate, out var error)
            || !Stapling.StapledResponse.TryAttach(context, der, nextUpdate, out error))
        {
            throw new TlsLoadException($"--ocsp-staple {file}: {error}");
        }
    }

    private static X509Certificate2 AttachKey(X509Certificate2 leaf, string keyText, TlsOptions options)
    {
        if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new TlsLoadException($"--tls-key {options.KeyFile}: the key is encrypted; give an unencrypted PEM key (file mode 0600)");
        }

        using AsymmetricAlgorithm key = leaf.GetKeyAlgorithmName() switch
        {
            "ECDSA" => ECDsa.Create(),
            "RSA" => RSA.Create(),
            var other => throw new TlsLoadException($"--tls-cert {options.CertificateFile}: unsupported key type {other}; expected an ECDSA or RSA certificate"),
        };
        try
        {
            key.ImportFromPem(keyText);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            // No key block of the certificate's type (an RSA key for an ECDSA certificate, say), or a malformed one.
            throw new TlsLoadException($"--tls-key {options.KeyFile}: no usable {leaf.GetKeyAlgorithmName()} private key ({ex.Message.TrimEnd('.')}); expected a PEM PRIVATE KEY block for the certificate in --tls-cert", ex);
        }

        try
        {
            return key is ECDsa ecdsa ? leaf.CopyWithPrivateKey(ecdsa) : leaf.CopyWithPrivateKey((RSA)key);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new TlsLoadException($"--tls-key {options.KeyFile}: does not match the certificate in --tls-cert {options.CertificateFile} (their public keys differ)", ex);
        }
    }
}
