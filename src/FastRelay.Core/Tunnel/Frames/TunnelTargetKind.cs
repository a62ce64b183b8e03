namespace FastRelay.Tunnel.Frames;

/// <summary>How an OPEN names its target (the first byte of the OPEN body, §4.4).</summary>
public enum TunnelTargetKind : byte
{
    /// <summary>4 address bytes.</summary>
    IPv4 = 1,

    /// <summary>A DNS name the gateway resolves (u8 length, ASCII).</summary>
    Dns = 3,

    /// <summary>16 address bytes.</summary>
    IPv6 = 4,

    /// <summary>A name the gateway maps to a target of its own (u8 length, ASCII).</summary>
    NamedRoute = 0x10,
}
