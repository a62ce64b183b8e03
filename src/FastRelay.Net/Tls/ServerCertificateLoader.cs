using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;

namespace FastRelay.Tls;

/// <summary>
/// Loads <c>--tls-cert</c> (PEM: leaf first, then intermediates) and <c>--tls-key</c> (PEM: ECDSA or RSA) into a
/// <see cref="ServerCertificate"/>, checking that the key matches, the certificate is in date and a supplied OCSP
/// staple answers for it. Every problem is a message that names the flag and the file.
/// </summary>
internal static class ServerCertificateLoader
{
    /// <summary>
    /// Builds the server certificate from what <see cref="ReadFiles"/> read; <paramref name="trust"/> names the client
    /// CAs sent in the CertificateRequest (null: none). The checks that do not depend on each other (the certificate's
    /// date, the key, the staple) are all made, and each failure is added to <paramref name="errors"/>.
    /// </summary>
    /// <returns>The certificate, or null when anything failed.</returns>
    /// <param name="files">What <see cref="ReadFiles"/> read.</param>
    /// <param name="options">The TLS flags.</param>
    /// <param name="trust">The client CAs sent in the CertificateRequest, or null.</param>
    /// <param name="now">For the certificate's date.</param>
    /// <param name="errors">Every failure, naming its flag and file.</param>
    /// <param name="issuers">Where to look for the certificate's issuer when <c>--tls-cert</c> holds the leaf alone (the
    /// <c>--client-ca</c> bundle): .NET needs it to ask the responder for <c>--ocsp-staple auto</c>.</param>
    public static ServerCertificate? TryLoad(ServerCertificateFiles files, TlsOptions options, SslCertificateTrust? trust, DateTimeOffset now, List<string> errors,
        X509Certificate2Collection? issuers = null)
    {
        var certificates = files.Certificates;
        var leaf = certificates[0];
        var count = errors.Count;
        if (leaf.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            errors.Add($"--tls-cert {options.CertificateFile}: the certificate '{leaf.Subject}' expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z");
        }

        var withKey = Collect(() => AttachKey(leaf, files.KeyText, options), errors);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < certificates.Count; i++)
        {
            intermediates.Add(certificates[i]);
        }

        // The staple is checked against the certificate (not the key), so a bad one is listed beside a bad key.
        byte[]? staple = null;
        var stapleNextUpdate = default(DateTimeOffset);
        if (files.Staple is { } stapleBytes
            && !Stapling.OcspStapleValidator.TryValidate(stapleBytes, leaf, intermediates.Count > 0 ? intermediates[0] : null, now, out staple, out stapleNextUpdate, out var stapleError))
        {
            errors.Add($"--ocsp-staple {options.OcspStapleFile}: {stapleError}");
        }

        if (withKey is null || errors.Count != count || files.StapleUnreadable)
        {
            return null;
        }

        // The one place the context is built. offline: false lets .NET fetch the OCSP response from the
        // certificate's responder (AIA) and refresh it before nextUpdate; offline: true turns that (and any
        // other download) off, and with --ocsp-staple FILE the file's response is attached instead
        // (docs/revocation.md), before the context's first handshake.
        var stapleNote = "";
        var chainCertificates = intermediates;
        if (options.OcspStaple == OcspStapling.Auto)
        {
            (chainCertificates, stapleNote) = ForAutoStapling(leaf, intermediates, issuers);
        }

        var context = SslStreamCertificateContext.Create(withKey, chainCertificates, offline: options.OcspStaple != OcspStapling.Auto, trust);
        if (staple is not null && !Stapling.StapledResponse.TryAttach(context, staple, stapleNextUpdate, out var attachError))
        {
            errors.Add($"--ocsp-staple {options.OcspStapleFile}: {attachError}");
            return null;
        }

        // Last: the warm-up handshake builds the native context, which reads the staple state set above.
        var shared = SharedServerContext.TryPrepare(context, out var note);
        return new ServerCertificate(context, withKey, intermediates.Count, shared, note + stapleNote);
    }

    /// <summary>
    /// What <c>--ocsp-staple auto</c> needs besides the leaf: .NET builds the OCSP request from the leaf and its issuer,
    /// and finds the issuer only among the certificates it is given (a private CA is in no system store). When
    /// <c>--tls-cert</c> holds the leaf alone (as <c>fastrelay ca issue</c> writes it), the issuer is taken from
    /// <paramref name="issuers"/> (<c>--client-ca</c>, for a site whose one CA issues both), only to build the
    /// request: a self-signed root is not sent in the handshake. The note says when stapling cannot or may not work, and why.
    /// </summary>
    private static (X509Certificate2Collection Chain, string Note) ForAutoStapling(X509Certificate2 leaf, X509Certificate2Collection intermediates, X509Certificate2Collection? issuers)
    {
        var hasResponder = leaf.Extensions.OfType<X509AuthorityInformationAccessExtension>().Any(a => a.EnumerateOcspUris().Any());
        if (!hasResponder)
        {
            return (intermediates, "; --ocsp-staple auto: nothing to staple, the certificate names no OCSP responder (AIA)");
        }

        // By name and, when both certificates carry them, by key identifier: after a CA rollover a bundle may hold two
        // certificates with the CA's name, and only the one whose key signed the leaf builds the right request.
        static bool Issued(X509Certificate2 issuer, X509Certificate2 subject)
        {
            if (!issuer.SubjectName.RawData.AsSpan().SequenceEqual(subject.IssuerName.RawData))
            {
                return false;
            }

            var authority = subject.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
            var key = issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
            return authority is not { } a || key is not { } k || a.Span.SequenceEqual(k.Span);
        }

        if (leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData) || intermediates.Any(c => Issued(c, leaf)))
        {
            return (intermediates, "");
        }

        if (issuers?.FirstOrDefault(c => Issued(c, leaf)) is { } found)
        {
            return ([.. intermediates, found], $"; --ocsp-staple auto: the issuer '{found.Subject}' from --client-ca asks the responder");
        }

        return (intermediates, $"; --ocsp-staple auto: the issuer '{leaf.Issuer}' is in neither --tls-cert nor --client-ca, so .NET staples only if it finds it elsewhere (the system store, the AIA caIssuers URL): append it to --tls-cert");
    }

    /// <summary>
    /// Reads <c>--tls-cert</c>, <c>--tls-key</c> and, with <c>--ocsp-staple FILE</c>, the staple: each file even
    /// when another failed, so that every missing or unreadable one is listed at once (cli.md).
    /// </summary>
    /// <returns>
    /// The files' contents, or null when the certificate or the key could not be read (each problem is in
    /// <paramref name="errors"/>). An unreadable staple still returns them, marked, so that <see cref="TryLoad"/> lists
    /// a key that does not match beside it, and then refuses.
    /// </returns>
    public static ServerCertificateFiles? ReadFiles(TlsOptions options, List<string> errors)
    {
        var certificates = Collect(() => PemFiles.ReadCertificates("--tls-cert", options.CertificateFile), errors);
        var keyText = Collect(() => PemFiles.ReadText("--tls-key", options.KeyFile), errors);
        // Checked here, before the key is matched against the certificate, so that a bad key is named even when
        // --tls-cert failed as well.
        if (keyText is not null && !keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            errors.Add($"--tls-key {options.KeyFile}: no PEM private key block found; expected -----BEGIN PRIVATE KEY----- (or EC PRIVATE KEY, RSA PRIVATE KEY)");
            keyText = null;
        }
        else if (keyText is not null && keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            errors.Add($"--tls-key {options.KeyFile}: the key is encrypted; give an unencrypted PEM key (file mode 0600)");
            keyText = null;
        }

        var staple = options.OcspStaple != OcspStapling.File ? null
            : options.OcspStapleFile is { } file ? Collect(() => ReadStaple(file), errors)
            : Collect<byte[]>(() => throw new TlsLoadException("--ocsp-staple: expected auto, off or the path of a DER OCSP response file"), errors);
        var stapleMissing = options.OcspStaple == OcspStapling.File && staple is null;
        return certificates is null || keyText is null ? null : new ServerCertificateFiles(certificates, keyText, staple, stapleMissing);
    }

    /// <summary>
    /// Reads <c>--ocsp-staple FILE</c>.
    /// </summary>
    /// <exception cref="TlsLoadException">The file cannot be read, naming the flag and the file.</exception>
    public static byte[] ReadStaple(string file) =>
        // An OCSP response is a few hundred bytes to a few KiB; 1 MiB leaves room for a responder's certificate chain.
        OperatorFile.TryRead(file, 1 << 20, "DER OCSP response", out var bytes, out var problem)
            ? bytes
            : throw new TlsLoadException($"--ocsp-staple {file}: {problem}");

    private static T? Collect<T>(Func<T> load, List<string> errors)
        where T : class
    {
        try
        {
            return load();
        }
        catch (TlsLoadException ex)
        {
            errors.Add(ex.Message);
            return null;
        }
    }

    private static X509Certificate2 AttachKey(X509Certificate2 leaf, string keyText, TlsOptions options)
    {
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

/// <summary>
/// What <c>--tls-cert</c>, <c>--tls-key</c> and <c>--ocsp-staple FILE</c> hold (the staple: null without a file, or when
/// the file could not be read: then <paramref name="StapleUnreadable"/>, and the certificate is never built).
/// </summary>
internal sealed record ServerCertificateFiles(X509Certificate2Collection Certificates, string KeyText, byte[]? Staple, bool StapleUnreadable = false);
