using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>The outcome of a successful XX handshake on a connected socket (docs/PROTOCOL.md "Handshake").</summary>
/// <remarks>The caller owns <see cref="Keys"/> (dispose when the connection closes); <see cref="LocalStatic"/> stays the caller's.</remarks>
public sealed class TunnelHandshakeResult
{
    internal TunnelHandshakeResult(TransportKeys keys, KeyPair localStatic, byte[] remoteStatic, TunnelSettings peerSettings,
        string? peerName)
    {
        Keys = keys;
        LocalStatic = localStatic;
        RemoteStatic = remoteStatic;
        PeerSettings = peerSettings;
        PeerName = peerName;
        PeerFingerprint = Convert.ToBase64String(remoteStatic);
    }

    /// <summary>Epoch 0 keys, oriented for this side; HandshakeHash is h_0 (the first rekey's prologue input).</summary>
    public TransportKeys Keys { get; }

    /// <summary>This side's static key, for the KK rekeys.</summary>
    public KeyPair LocalStatic { get; }

    /// <summary>The peer's authenticated static key (32 bytes), for the KK rekeys.</summary>
    public byte[] RemoteStatic { get; }

    /// <summary>The limits the peer announced (defaults for absent settings).</summary>
    public TunnelSettings PeerSettings { get; }

    /// <summary>The peer's node_name TLV: for logs only, never for a decision.</summary>
    public string? PeerName { get; }

    /// <summary>The peer's static key in base64 (the form --edge-key/--gateway-key take), for logs.</summary>
    public string PeerFingerprint { get; }
}
