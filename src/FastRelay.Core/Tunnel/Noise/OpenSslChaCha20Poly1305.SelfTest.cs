using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

internal sealed partial class OpenSslChaCha20Poly1305
{
    /// <summary>Probes once, on first use (a nested class so the probe runs lazily and exactly once).</summary>
    private static class Availability
    {
        internal static readonly bool Value = Probe();
    }

    /// <summary>
    /// The fallback decision: the native path is used only if it reproduces RFC 8439 §2.8.2 exactly, accepts it back
    /// and rejects a flipped tag bit. Any failure to load or bind means the BCL path.
    /// </summary>
    internal static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            // libcrypto.so.3 is the Linux soname; elsewhere the BCL uses the OS's own crypto.
            return false;
        }

        try
        {
            return SelfTest();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException or CryptographicException)
        {
            // No usable OpenSSL 3: CipherState uses the BCL class, which is correct everywhere, only slower.
            return false;
        }
    }

    private static bool SelfTest()
    {
        // RFC 8439 §2.8.2 (also Wycheproof tcId 1).
        var key = Convert.FromHexString("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        var nonce = Convert.FromHexString("070000004041424344454647");
        var ad = Convert.FromHexString("50515253c0c1c2c3c4c5c6c7");
        var plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8;
        var expected = Convert.FromHexString(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b" +
            "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
            "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691");

        using var cipher = new OpenSslChaCha20Poly1305(key);
        var buffer = new byte[plaintext.Length + TagSize];
        plaintext.CopyTo(buffer);
        var body = buffer.AsSpan(0, plaintext.Length);
        cipher.Encrypt(nonce, body, body, buffer.AsSpan(plaintext.Length), ad);
        if (!buffer.AsSpan().SequenceEqual(expected))
        {
            return false;
        }

        var opened = cipher.TryDecrypt(nonce, body, buffer.AsSpan(plaintext.Length), body, ad) && body.SequenceEqual(plaintext);
        expected.CopyTo(buffer, 0);
        buffer[^1] ^= 1;
        var rejected = !cipher.TryDecrypt(nonce, body, buffer.AsSpan(plaintext.Length), body, ad);
        return opened && rejected;
    }
}
