using System.Security.Cryptography;
using System.Text;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// Noise SymmetricState (spec §5.2) for SHA-256: the chaining key <c>ck</c>, the handshake hash <c>h</c> and the
/// handshake CipherState. Used only during a handshake, so it favours clarity over allocation.
/// </summary>
/// <remarks>Not thread-safe. <see cref="Dispose"/> zeroizes ck and the key.</remarks>
internal sealed class SymmetricState : IDisposable
{
    private readonly byte[] _chainingKey = new byte[NoiseHkdf.HashSize];
    private readonly byte[] _hash = new byte[NoiseHkdf.HashSize];
    private CipherState? _cipher;

    /// <summary>InitializeSymmetric(protocol_name).</summary>
    public SymmetricState(string protocolName)
    {
        var name = Encoding.ASCII.GetBytes(protocolName);
        if (name.Length <= NoiseHkdf.HashSize)
        {
            name.CopyTo(_hash, 0);
        }
        else
        {
            SHA256.HashData(name, _hash);
        }

        _hash.CopyTo(_chainingKey, 0);
    }

    /// <summary>Whether a key has been mixed in (EncryptAndHash encrypts from then on).</summary>
    public bool HasKey => _cipher is not null;

    /// <summary>The current h (GetHandshakeHash after the last message).</summary>
    public ReadOnlySpan<byte> Hash => _hash;

    /// <summary>MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); the cipher is re-keyed with n = 0.</summary>
    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[2 * NoiseHkdf.HashSize];
        NoiseHkdf.Derive(_chainingKey, inputKeyMaterial, output);
        output[..32].CopyTo(_chainingKey);
        InitializeKey(output[32..]);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>MixHash(data): h = SHA-256(h ‖ data).</summary>
    public void MixHash(ReadOnlySpan<byte> data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_hash);
        sha.AppendData(data);
        sha.GetHashAndReset(_hash);
    }

    /// <summary>MixKeyAndHash(ikm), for PSK tokens: ck, temp_h, temp_k = HKDF(ck, ikm, 3).</summary>
    public void MixKeyAndHash(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[3 * NoiseHkdf.HashSize];
        NoiseHkdf.Derive(_chainingKey, inputKeyMaterial, output);
        output[..32].CopyTo(_chainingKey);
        MixHash(output[32..64]);
        InitializeKey(output[64..]);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>EncryptAndHash: writes plaintext (+16 once keyed) bytes to <paramref name="output"/>; returns the count.</summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        int written;
        if (_cipher is null)
        {
            plaintext.CopyTo(output);
            written = plaintext.Length;
        }
        else
        {
            written = plaintext.Length + CipherState.TagSize;
            _cipher.Encrypt(_hash, plaintext, output[..written]);
        }

        MixHash(output[..written]);
        return written;
    }

    /// <summary>DecryptAndHash: false on an authentication failure (the handshake must abort).</summary>
    public bool TryDecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> output, out int written)
    {
        written = 0;
        if (_cipher is null)
        {
            ciphertext.CopyTo(output);
            written = ciphertext.Length;
        }
        else
        {
            // Decrypt into a copy first: h must absorb the ciphertext, and output may alias it.
            var copy = ciphertext.ToArray();
            if (copy.Length < CipherState.TagSize || !_cipher.TryDecrypt(_hash, copy, output[..(copy.Length - CipherState.TagSize)]))
            {
                return false;
            }

            written = copy.Length - CipherState.TagSize;
            MixHash(copy);
            return true;
        }

        MixHash(ciphertext);
        return true;
    }

    /// <summary>Split(): the two transport ciphers (initiator→responder, responder→initiator).</summary>
    public (CipherState InitiatorToResponder, CipherState ResponderToInitiator) Split()
    {
        Span<byte> output = stackalloc byte[2 * NoiseHkdf.HashSize];
        NoiseHkdf.Derive(_chainingKey, ReadOnlySpan<byte>.Empty, output);
        var pair = (new CipherState(output[..32]), new CipherState(output[32..]));
        CryptographicOperations.ZeroMemory(output);
        return pair;
    }

    /// <summary>Zeroizes ck and the handshake key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_chainingKey);
        _cipher?.Dispose();
    }

    private void InitializeKey(ReadOnlySpan<byte> key)
    {
        _cipher?.Dispose();
        _cipher = new CipherState(key);
    }
}
