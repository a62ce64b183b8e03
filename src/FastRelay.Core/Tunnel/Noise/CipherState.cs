using System.Buffers.Binary;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// One direction of keys (Noise CipherState, spec §5.1): ChaCha20-Poly1305 (OpenSSL's, see <see cref="Implementation"/>) with the nonce
/// <c>0^4 ‖ LE64(n)</c> (spec §12.3). n is implicit, starts at 0 and is never sent: a replayed, reordered,
/// dropped or spliced record fails authentication (docs/PROTOCOL.md, "Records").
/// </summary>
/// <remarks>
/// Not thread-safe: one instance per direction and epoch, used by one loop (the record writer or reader).
/// Works in place and allocates nothing per call (bench: CipherStateBench). n never wraps: at
/// <see cref="MaxNonce"/> every call throws, and the connection must close (tunnel.md §4.8 "any n ≥ 2^62").
/// </remarks>
public sealed class CipherState : IDisposable
{
    /// <summary>Size of the Poly1305 tag appended to every ciphertext.</summary>
    public const int TagSize = 16;

    /// <summary>Size of the key.</summary>
    public const int KeySize = 32;

    /// <summary>
    /// The first nonce that is never used: 2^62, far below Noise's reserved 2^64−1. At one record per
    /// microsecond it takes 146,000 years, so reaching it means a bug or an attack, never traffic.
    /// </summary>
    public const ulong MaxNonce = 1UL << 62;

    private readonly IAeadCipher _aead;
    private readonly uint _noncePrefix;
    private readonly ulong _nonceLimit;
    private ulong _nonce;
    private bool _disposed;

    /// <summary>A cipher keyed with <paramref name="key"/> (32 bytes, copied) and n = 0.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    /// <exception cref="PlatformNotSupportedException">On the BCL fallback: the OS crypto library has no ChaCha20-Poly1305.</exception>
    public CipherState(ReadOnlySpan<byte> key)
        : this(key, 0)
    {
    }

    /// <summary>Test seam: starts at nonce <paramref name="nonce"/> (the 2^62 cap is tested without 2^62 calls).</summary>
    internal CipherState(ReadOnlySpan<byte> key, ulong nonce)
        : this(key, 0, nonce, MaxNonce)
    {
    }

    /// <summary>
    /// Test seam for published AEAD vectors with arbitrary 96-bit nonces: <c>LE32(prefix) ‖ LE64(n)</c> and another limit.
    /// Production always has prefix 0 and limit <see cref="MaxNonce"/>.
    /// </summary>
    internal CipherState(ReadOnlySpan<byte> key, uint noncePrefix, ulong nonce, ulong nonceLimit)
        : this(key, noncePrefix, nonce, nonceLimit, DefaultImplementation)
    {
    }

    /// <summary>Test and benchmark seam: runs on the given <paramref name="implementation"/> (both must pass every vector).</summary>
    internal CipherState(ReadOnlySpan<byte> key, uint noncePrefix, ulong nonce, ulong nonceLimit, AeadImplementation implementation)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"must be {KeySize} bytes (got {key.Length})", nameof(key));
        }

        // Issue 5's 16 KiB target needs the native path (bench/README.md, "Tunnel crypto"); the BCL class stays the
        // reference and the fallback.
        _aead = implementation == AeadImplementation.OpenSsl ? new OpenSslChaCha20Poly1305(key) : new BclChaCha20Poly1305(key);
        Implementation = implementation;
        _noncePrefix = noncePrefix;
        _nonce = nonce;
        _nonceLimit = nonceLimit;
    }

    /// <summary>
    /// What new instances run on: <see cref="AeadImplementation.OpenSsl"/> when libcrypto.so.3 loads and passes the
    /// RFC 8439 self-test (probed once per process), else <see cref="AeadImplementation.Bcl"/>.
    /// </summary>
    public static AeadImplementation DefaultImplementation
        => OpenSslChaCha20Poly1305.IsAvailable ? AeadImplementation.OpenSsl : AeadImplementation.Bcl;

    /// <summary>What this instance runs on.</summary>
    public AeadImplementation Implementation { get; }

    /// <summary>The nonce of the next call (the number of records processed so far).</summary>
    public ulong Nonce => _nonce;

    /// <summary>
    /// Encrypts <c>buffer[..plaintextLength]</c> in place and writes the tag at
    /// <c>buffer[plaintextLength..plaintextLength + 16]</c>; then n++.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer has no room for the tag.</exception>
    /// <exception cref="InvalidOperationException">n reached <see cref="MaxNonce"/>: close the connection.</exception>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public void Encrypt(ReadOnlySpan<byte> associatedData, Span<byte> buffer, int plaintextLength)
    {
        if ((uint)plaintextLength > (uint)buffer.Length || buffer.Length - plaintextLength < TagSize)
        {
            throw new ArgumentException(
                $"needs {plaintextLength} + {TagSize} bytes (got {buffer.Length})", nameof(buffer));
        }

        var plaintext = buffer[..plaintextLength];
        Encrypt(associatedData, plaintext, buffer[..(plaintextLength + TagSize)]);
    }

    /// <summary>
    /// Decrypts <c>ciphertextAndTag[..^16]</c> in place. Returns false on an authentication failure (tampering,
    /// replay, reorder, wrong key) or input shorter than the tag; n is unchanged then and the connection must close.
    /// </summary>
    /// <exception cref="InvalidOperationException">n reached <see cref="MaxNonce"/>: close the connection.</exception>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>.</exception>
    public bool TryDecrypt(ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
        => TryDecrypt(associatedData, ciphertextAndTag, ciphertextAndTag[..Math.Max(0, ciphertextAndTag.Length - TagSize)]);

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertextAndTag"/> (plaintext + 16 bytes; may overlap exactly).</summary>
    internal void Encrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextAndTag)
    {
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        _aead.Encrypt(nonce, plaintext, ciphertextAndTag[..plaintext.Length],
            ciphertextAndTag.Slice(plaintext.Length, TagSize), associatedData);
        _nonce++;
    }

    /// <summary>Decrypts into <paramref name="plaintext"/> (ciphertext length − 16; may overlap exactly).</summary>
    internal bool TryDecrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        if (ciphertextAndTag.Length < TagSize)
        {
            return false;
        }

        var length = ciphertextAndTag.Length - TagSize;
        if (!_aead.TryDecrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext[..length], associatedData))
        {
            return false;
        }

        _nonce++;
        return true;
    }

    /// <summary>Zeroizes the key (OpenSSL frees its context with <c>OPENSSL_clear_free</c>). Idempotent.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
        }
    }

    private void NextNonce(Span<byte> nonce)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_nonce >= _nonceLimit)
        {
            // Noise §5.1: the nonce must never wrap. We stop far earlier (tunnel.md §4.8).
            throw new InvalidOperationException($"nonce limit 2^62 reached after {_nonce} records: the connection must close");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(nonce, _noncePrefix);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce);
    }
}
