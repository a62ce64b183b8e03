namespace FastRelay.Configuration;

/// <summary>
/// Public keys of tunnel peers as users write them: base64 of the 32-byte X25519 key, as WireGuard and
/// <c>fastrelay keygen</c> print them (tunnel.md §4.2, pinned mode).
/// </summary>
public static class TunnelKeySyntax
{
    /// <summary>The size of an X25519 public key.</summary>
    public const int KeyBytes = 32;

    /// <summary>Parses one key; false with the reason when it is not base64 of exactly 32 bytes.</summary>
    public static bool TryParsePublicKey(string text, out byte[]? key, out string error)
    {
        key = null;
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written))
        {
            error = "expected a public key in base64 (44 characters, as fastrelay keygen prints it)";
            return false;
        }

        if (written != KeyBytes)
        {
            error = $"expected base64 of a {KeyBytes}-byte X25519 public key, got {written} bytes";
            return false;
        }

        key = buffer[..KeyBytes];
        error = "";
        return true;
    }
}
