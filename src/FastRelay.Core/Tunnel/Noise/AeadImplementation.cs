namespace FastRelay.Tunnel.Noise;

/// <summary>Which ChaCha20-Poly1305 a <see cref="CipherState"/> runs on. Both give identical bytes (tests run every vector through each).</summary>
public enum AeadImplementation
{
    /// <summary><see cref="OpenSslChaCha20Poly1305"/>: libcrypto.so.3 with a persistent context; the default where it is available.</summary>
    OpenSsl,

    /// <summary><see cref="BclChaCha20Poly1305"/>: the BCL's class; the reference, and the fallback everywhere else.</summary>
    Bcl,
}
