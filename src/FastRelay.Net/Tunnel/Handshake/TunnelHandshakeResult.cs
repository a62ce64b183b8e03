using FastRelay.Tunnel.Identity;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>The outcome of a successful XX handshake on a connected socket (docs/PROTOCOL.md "Handshake").</summary>
/// <remarks>The caller owns <see cref="Keys"/> (dispose when the connection closes); <see cref="LocalStatic"/> stays the caller's.</remarks>
public sealed class TunnelHandshakeResult
{
    internal TunnelHandshakeResult(TransportKeys keys, KeyPair localStatic, byte[] remoteStatic, TunnelSettings peerSettings,
        IdentityPayload peerIdentity, byte peerRole)
    {
        Keys = keys;
        LocalStatic = localStatic;
        RemoteStatic = remoteStatic;
        PeerSettings = peerSettings;
        PeerIdentity = peerIdentity;
        PeerRole = peerRole;
        PeerName = peerIdentity.NodeName;
        PeerFingerprint = Convert.ToBase64String(remoteStatic);
    }

    /// <summary>For tests that need a result without a socket: a pinned-mode peer (no certificate) in the exit's role.</summary>
    internal TunnelHandshakeResult(TransportKeys keys, KeyPair localStatic, byte[] remoteStatic, TunnelSettings peerSettings,
        string? peerName)
        : this(keys, localStatic, remoteStatic, peerSettings, new IdentityPayload(peerName, [], null, null, null), StaticKeyBinding.ResponderRole)
    {
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

    /// <summary>In CA mode, when the peer's static-key binding expires (a rekey after it must fail); else null.</summary>
    public DateTimeOffset? PeerBindingNotAfter => PeerIdentity.BindingNotAfter is { } seconds && seconds <= 253402300799
        ? DateTimeOffset.FromUnixTimeSeconds((long)seconds)
        : null;

    /// <summary>The identity the peer sent at epoch 0 (re-checked at each rekey in CA mode).</summary>
    internal IdentityPayload PeerIdentity { get; }

    /// <summary>The role byte the peer signed ('I' edge, 'R' exit).</summary>
    internal byte PeerRole { get; }
}
