using System.Security.Cryptography;
using System.Text;
using FastRelay.Configuration;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The tunnel's static key file (<c>--tunnel-key FILE</c>, written by <c>fastrelay keygen</c>): the X25519 private key
/// as one line of base64 (32 bytes), like WireGuard's. Created with mode 0600; a key readable by the group or others
/// still loads, with a warning, as ssh and wg do.
/// </summary>
public static class TunnelKeyFile
{
    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OthersMask = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Loads a key file; false with an error that names the file and what was wrong.</summary>
    public static bool TryLoad(string path, out KeyPair? keyPair, out string? error)
        => TryLoad(path, out keyPair, out error, out _);

    /// <summary>Loads a key file; <paramref name="warning"/> is set when the file is readable by group or others.</summary>
    public static bool TryLoad(string path, out KeyPair? keyPair, out string? error, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(path);
        keyPair = null;
        warning = null;
        // The key is one line of 44 characters; 64 KiB bounds what a wrong path (a log, /dev/zero) can make us read.
        if (!OperatorFile.TryRead(path, 64 << 10, "key", out var bytes, out var problem))
        {
            error = $"tunnel key file '{path}': {problem}";
            return false;
        }

        var text = Encoding.ASCII.GetString(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersMask) != 0)
            {
                warning = $"tunnel key file '{path}' is accessible by group or others; run: chmod 600 '{path}'";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Read a moment ago: gone or changed since. The key was read; only the mode check is skipped.
        }

        return TryParse(text, path, out keyPair, out error);
    }

    /// <summary>Parses the file's text.</summary>
    internal static bool TryParse(string text, string path, out KeyPair? keyPair, out string? error)
    {
        keyPair = null;
        error = null;
        var buffer = new byte[48];
        var trimmed = text.Trim();
        if (trimmed.Contains('\n', StringComparison.Ordinal) || !Convert.TryFromBase64String(trimmed, buffer, out var length) || length != 32)
        {
            CryptographicOperations.ZeroMemory(buffer);
            error = $"tunnel key file '{path}': expected one line of base64 (a 32-byte X25519 private key, as written by 'fastrelay keygen')";
            return false;
        }

        keyPair = X25519Dh.Instance.DeriveKeyPair(buffer.AsSpan(0, 32));
        CryptographicOperations.ZeroMemory(buffer);
        return true;
    }

    /// <summary>
    /// Writes <paramref name="keyPair"/>'s private key to a new file created with mode 0600 (never briefly wider).
    /// With <paramref name="overwrite"/> an existing file is replaced; otherwise it is an <see cref="IOException"/>.
    /// </summary>
    public static void Write(string path, KeyPair keyPair, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(keyPair);

        // A fresh 0600 file renamed into place: a failed write (disk full) never leaves the node without its old key,
        // and a replaced key never keeps the old file's mode.
        var line = Encoding.ASCII.GetBytes(Convert.ToBase64String(keyPair.PrivateKey) + "\n");
        try
        {
            Configuration.AtomicFile.Write(path, line, PrivateMode, overwrite);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(line);
        }
    }
}
