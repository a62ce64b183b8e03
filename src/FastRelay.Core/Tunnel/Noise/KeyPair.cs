using System.Security.Cryptography;

namespace FastRelay.Tunnel.Noise;

/// <summary>A DH key pair. <see cref="Dispose"/> zeroizes the private key (STYLE H5.7).</summary>
/// <remarks>Immutable until disposed; reading after <see cref="Dispose"/> gives zeros.</remarks>
public sealed class KeyPair : IDisposable
{
    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;

    /// <summary>Takes ownership of both arrays (they are not copied).</summary>
    public KeyPair(byte[] privateKey, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(publicKey);
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    /// <summary>The private key; secret.</summary>
    public ReadOnlySpan<byte> PrivateKey => _privateKey;

    /// <summary>The public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The public key as base64, the form used in configuration and logs (as WireGuard does).</summary>
    public string PublicKeyBase64 => Convert.ToBase64String(_publicKey);

    /// <summary>Zeroizes the private key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);
}
