using System.Security.Cryptography;
using System.Text;
using FastRelay.Configuration;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>Reads PEM files with errors that name the flag and the file.</summary>
internal static class PemFiles
{
    public static string ReadText(string flag, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new TlsLoadException($"{flag} '{path}': expected the path of a PEM file");
        }

        return OperatorFile.TryRead(path, OperatorFile.MaxPemBytes, "PEM", out var bytes, out var problem)
            ? Encoding.UTF8.GetString(bytes)
            : throw new TlsLoadException($"{flag} {path}: {problem}");
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
