using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>Reads PEM files with errors that name the flag and the file.</summary>
internal static class PemFiles
{
    /// <summary>Largest TLS file read (a CA bundle of a few hundred certificates fits easily).</summary>
    private const long MaxBytes = 4 << 20;

    public static string ReadText(string flag, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new TlsLoadException($"{flag} '{path}': expected the path of a PEM file");
        }

        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new TlsLoadException($"{flag} {path}: file not found");
            }

            if (info.Length > MaxBytes)
            {
                throw new TlsLoadException($"{flag} {path}: {info.Length} bytes is too large for a PEM file (at most {MaxBytes >> 20} MiB)");
            }

            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TlsLoadException($"{flag} {path}: cannot be read ({ex.Message.TrimEnd('.')})", ex);
        }
    }

    /// <summary>Every CERTIFICATE block, in file order; at least one.</summary>
    public static X509Certificate2Collection ReadCertificates(string flag, string path)
    {
        var text = ReadText(flag, path);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(text);
        }
        catch (CryptographicException ex)
        {
            throw new TlsLoadException($"{flag} {path}: a CERTIFICATE block is malformed ({ex.Message.TrimEnd('.')})", ex);
        }

        if (certificates.Count == 0)
        {
            throw new TlsLoadException($"{flag} {path}: no PEM CERTIFICATE block found; expected -----BEGIN CERTIFICATE-----");
        }

        return certificates;
    }
}
