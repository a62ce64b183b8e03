namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// A tunnel handshake failed. <see cref="Exception.Message"/> is the reason to log as is ("bad preamble",
/// "version mismatch: …", "exit identity rejected: …", "handshake timed out …"); it never holds key material.
/// </summary>
public sealed class TunnelHandshakeException : Exception
{
    public TunnelHandshakeException()
    {
    }

    public TunnelHandshakeException(string reason)
        : base(reason)
    {
    }

    public TunnelHandshakeException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }

    /// <summary>Creates the exception with the peer's static key (base64) when the handshake got that far.</summary>
    public TunnelHandshakeException(string reason, string? peerFingerprint)
        : base(reason) => PeerFingerprint = peerFingerprint;

    /// <summary>The peer's static public key in base64 (as configured with --edge-key), once known; else null.</summary>
    public string? PeerFingerprint { get; }
}
