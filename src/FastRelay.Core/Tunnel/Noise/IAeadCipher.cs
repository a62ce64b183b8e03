namespace FastRelay.Tunnel.Noise;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) under one key, as <see cref="CipherState"/> needs it: a 12-byte nonce per call,
/// in place allowed (input and output may overlap exactly, never partly), nothing allocated per call.
/// </summary>
/// <remarks>Not thread-safe: one instance per <see cref="CipherState"/>.</remarks>
internal interface IAeadCipher : IDisposable
{
    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length) and writes the 16-byte tag.</summary>
    void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Decrypts and authenticates. Returns false when the tag does not match; <paramref name="plaintext"/> is then zeroed,
    /// never left holding unauthenticated bytes.
    /// </summary>
    bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);
}
