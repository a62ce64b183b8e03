using System.Diagnostics;
using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// ChaCha20-Poly1305 straight from OpenSSL 3's EVP interface, with one persistent <c>EVP_CIPHER_CTX</c> keyed once:
/// per record only the nonce is set. It is the same libcrypto.so.3 that the BCL's <see cref="ChaCha20Poly1305"/>
/// calls on Linux, minus the re-keying and extra calls the BCL makes per operation (about 1 µs, which kept 16 KiB
/// records at 0.83x of <c>openssl speed</c>; bench/README.md, "Tunnel crypto", issue 5).
/// </summary>
/// <remarks>
/// Used only when <see cref="IsAvailable"/> (Linux, the library loads, the RFC 8439 self-test passes); otherwise
/// <see cref="BclChaCha20Poly1305"/>. Not thread-safe (one per <see cref="CipherState"/>). Allocates nothing per call.
/// </remarks>
internal sealed partial class OpenSslChaCha20Poly1305 : IAeadCipher
{
    private const int TagSize = 16;
    private readonly EvpCipherContextHandle _context;

    /// <summary>Creates the context and sets the 32-byte key once (OpenSSL keeps the only copy).</summary>
    /// <exception cref="CryptographicException">OpenSSL refused.</exception>
    public unsafe OpenSslChaCha20Poly1305(ReadOnlySpan<byte> key)
    {
        Debug.Assert(key.Length == 32, "CipherState checks the key size");
        _context = new EvpCipherContextHandle(Native.EVP_CIPHER_CTX_new());
        try
        {
            if (_context.IsInvalid)
            {
                throw new CryptographicException("OpenSSL EVP_CIPHER_CTX_new failed");
            }

            fixed (byte* k = key)
            {
                // enc = 1 for now; each record's init sets the direction again (and only the nonce).
                Check(Native.EVP_CipherInit_ex(_context.DangerousGetHandle(), Native.EVP_chacha20_poly1305(), 0, k, null, 1), "EVP_CipherInit_ex(key)");
            }
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True on Linux when libcrypto.so.3 loads and encrypts and decrypts the RFC 8439 §2.8.2 vector correctly.
    /// Evaluated once per process.
    /// </summary>
    public static bool IsAvailable => Availability.Value;

    /// <inheritdoc/>
    public unsafe void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        Debug.Assert(nonce.Length == 12 && tag.Length == TagSize && ciphertext.Length == plaintext.Length, "CipherState sizes the spans");
        var added = false;
        _context.DangerousAddRef(ref added); // throws ObjectDisposedException after Dispose
        try
        {
            fixed (byte* n = nonce, p = plaintext, c = ciphertext, t = tag, a = associatedData)
            {
                var ctx = _context.DangerousGetHandle();
                Check(Native.EVP_CipherInit_ex(ctx, 0, 0, null, n, 1), "EVP_CipherInit_ex(nonce)");
                Update(ctx, associatedData.Length, a, p, c, plaintext.Length);
                int none;
                Check(Native.EVP_CipherFinal_ex(ctx, t, &none), "EVP_CipherFinal_ex"); // a stream cipher: writes 0 bytes
                Check(Native.EVP_CIPHER_CTX_ctrl(ctx, Native.EVP_CTRL_AEAD_GET_TAG, TagSize, t), "EVP_CTRL_AEAD_GET_TAG");
            }
        }
        finally
        {
            if (added)
            {
                _context.DangerousRelease();
            }
        }
    }

    /// <inheritdoc/>
    public unsafe bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Debug.Assert(nonce.Length == 12 && tag.Length == TagSize && ciphertext.Length == plaintext.Length, "CipherState sizes the spans");
        var added = false;
        _context.DangerousAddRef(ref added); // throws ObjectDisposedException after Dispose
        try
        {
            fixed (byte* n = nonce, c = ciphertext, t = tag, p = plaintext, a = associatedData)
            {
                var ctx = _context.DangerousGetHandle();
                Check(Native.EVP_CipherInit_ex(ctx, 0, 0, null, n, 0), "EVP_CipherInit_ex(nonce)");
                Update(ctx, associatedData.Length, a, c, p, ciphertext.Length);
                Check(Native.EVP_CIPHER_CTX_ctrl(ctx, Native.EVP_CTRL_AEAD_SET_TAG, TagSize, t), "EVP_CTRL_AEAD_SET_TAG");
                byte none;
                int noneLength;
                if (Native.EVP_CipherFinal_ex(ctx, &none, &noneLength) == 1)
                {
                    return true;
                }
            }
        }
        finally
        {
            if (added)
            {
                _context.DangerousRelease();
            }
        }

        // Wrong tag: tampering, replay, reorder or a wrong key. Defends against use of unauthenticated plaintext
        // (the BCL zeroes it too) and leaves no stale entry in this thread's OpenSSL error queue for the BCL to trip on.
        Native.ERR_clear_error();
        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    /// <summary>Frees the context; OpenSSL wipes the key with it. Idempotent.</summary>
    public void Dispose() => _context.Dispose();

    private static unsafe void Update(nint ctx, int associatedLength, byte* associatedData, byte* input, byte* output, int length)
    {
        int written;

        // Zero-length updates are skipped: a null output pointer means "associated data" to EVP, and fixed() on an
        // empty span gives null.
        if (associatedLength > 0)
        {
            Check(Native.EVP_CipherUpdate(ctx, null, &written, associatedData, associatedLength), "EVP_CipherUpdate(ad)");
        }

        if (length > 0)
        {
            Check(Native.EVP_CipherUpdate(ctx, output, &written, input, length), "EVP_CipherUpdate");
            Debug.Assert(written == length, "a stream cipher writes what it reads");
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 1)
        {
            Native.ERR_clear_error();
            throw new CryptographicException($"OpenSSL {call} failed (returned {result})");
        }
    }
}
