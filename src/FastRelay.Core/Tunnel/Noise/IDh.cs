namespace FastRelay.Tunnel.Noise;

/// <summary>
/// The Noise DH function (Noise spec §4.1) behind a small seam: X25519 from BouncyCastle now
/// (<see cref="X25519Dh"/>); .NET 11's <c>X25519DiffieHellman</c> or libsodium can replace it later.
/// </summary>
/// <remarks>Implementations are stateless and thread-safe.</remarks>
public interface IDh
{
    /// <summary>Size in bytes of private keys, public keys and shared secrets (32 for X25519).</summary>
    int KeySize { get; }

    /// <summary>A fresh key pair from the OS CSPRNG (Noise GENERATE_KEYPAIR).</summary>
    KeyPair GenerateKeyPair();

    /// <summary>The key pair of a given private key (key files, test vectors).</summary>
    /// <exception cref="ArgumentException">The key is not <see cref="KeySize"/> bytes.</exception>
    KeyPair DeriveKeyPair(ReadOnlySpan<byte> privateKey);

    /// <summary>
    /// Noise DH(privateKey, publicKey) into <paramref name="shared32"/>. Returns false when the shared secret is
    /// all zero (a low-order public key): the caller aborts the handshake, as WireGuard and libsodium do
    /// (docs/PROTOCOL.md, "All-zero DH"). Non-canonical public keys are accepted, as RFC 7748 §5 requires.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not <see cref="KeySize"/> bytes.</exception>
    bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> shared32);
}
