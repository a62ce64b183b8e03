using FastRelay.Tunnel.Noise;

namespace FastRelay.Hosting;

/// <summary>
/// Reads a tunnel private key file: base64 of the 32-byte X25519 private key on one line (WireGuard's format;
/// lines starting with '#' are comments). Refuses a file other users may read, as ssh does with its keys.
/// </summary>
internal static class TunnelKeyFile
{
    /// <summary>The key pair, or null with the reason.</summary>
    public static KeyPair? TryRead(string path, out string error)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                error = "the private key file may be read by other users; chmod 600 it";
                return null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read the key file: {ex.Message}";
            return null;
        }

        var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) ?? "";
        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(line, buffer, out var written) || written != 32)
        {
            error = "expected a private key written by fastrelay keygen (base64 of 32 bytes on one line)";
            return null;
        }

        error = "";
        var keyPair = X25519Dh.Instance.DeriveKeyPair(buffer.AsSpan(0, 32));
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        return keyPair;
    }
}
