using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// Noise HKDF (spec §4.3) with SHA-256: it is RFC 5869 HKDF with salt = chaining key and empty info, so the BCL's
/// <see cref="HKDF.DeriveKey(HashAlgorithmName, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
/// computes it (checked against RFC 5869 test case 3 and the Noise vectors).
/// </summary>
internal static class NoiseHkdf
{
    /// <summary>Size of SHA-256 output (HASHLEN).</summary>
    public const int HashSize = 32;

    /// <summary>Writes 2 or 3 outputs of 32 bytes into <paramref name="output"/> (64 or 96 bytes).</summary>
    public static void Derive(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        if (output.Length is not (2 * HashSize) and not (3 * HashSize))
        {
            throw new ArgumentException($"must be 64 or 96 bytes (got {output.Length})", nameof(output));
        }

        if (inputKeyMaterial.IsEmpty)
        {
            // Split() calls HKDF(ck, zerolen). On Linux the BCL's HKDF goes to OpenSSL's EVP_KDF, which refuses an
            // empty key ("Error occurred during a cryptographic operation", OpenSSL 3.0 here), so do the RFC 5869
            // extract step with HMAC ourselves: PRK = HMAC-SHA256(salt = ck, ikm = ∅). Expand is the BCL's.
            Span<byte> prk = stackalloc byte[HashSize];
            HMACSHA256.HashData(chainingKey, ReadOnlySpan<byte>.Empty, prk);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, output, ReadOnlySpan<byte>.Empty);
            CryptographicOperations.ZeroMemory(prk);
            return;
        }

        HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, output, chainingKey, ReadOnlySpan<byte>.Empty);
    }
}
