using System.Runtime.InteropServices;

namespace FastRelay.Tunnel.Noise;

/// <summary>
/// Owns one OpenSSL <c>EVP_CIPHER_CTX</c>. Freeing it with <c>EVP_CIPHER_CTX_free</c> also wipes the key schedule:
/// OpenSSL 3's ChaCha20-Poly1305 provider releases its context with <c>OPENSSL_clear_free</c>.
/// </summary>
internal sealed class EvpCipherContextHandle : SafeHandle
{
    /// <summary>Takes ownership of <paramref name="context"/> (from <c>EVP_CIPHER_CTX_new</c>; 0 means it failed).</summary>
    public EvpCipherContextHandle(nint context)
        : base(0, ownsHandle: true)
        => SetHandle(context);

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OpenSslChaCha20Poly1305.Native.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}
