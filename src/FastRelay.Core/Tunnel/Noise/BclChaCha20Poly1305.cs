using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The BCL's <see cref="ChaCha20Poly1305"/>: the reference implementation and the fallback wherever
/// <see cref="OpenSslChaCha20Poly1305"/> is not available (not Linux, no libcrypto.so.3, or its self-test failed).
/// </summary>
/// <remarks>
/// On Linux it calls the same OpenSSL, but re-keys the EVP context on every call: about 1 µs per record
/// (bench/README.md, "Tunnel crypto").
/// </remarks>
internal sealed class BclChaCha20Poly1305 : IAeadCipher
{
    private readonly ChaCha20Poly1305 _aead;

    /// <summary>Keys the cipher (32 bytes; the BCL keeps its own copy).</summary>
    public BclChaCha20Poly1305(ReadOnlySpan<byte> key) => _aead = new ChaCha20Poly1305(key);

    /// <inheritdoc/>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        => _aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

    /// <inheritdoc/>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            // The BCL zeroes the plaintext before it throws.
            _aead.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Expected outcome of hostile or corrupt input, reported as a value (STYLE H5.3); the BCL has no Try API.
            return false;
        }
    }

    /// <summary>Frees the BCL's key copy.</summary>
    public void Dispose() => _aead.Dispose();
}
