namespace FastRelay.Tunnel.Frames;

/// <summary>
/// Error codes carried by RST and GOAWAY (§4.4). Codes below 0x100 are about the tunnel; 0x100 and up say
/// why the gateway could not reach a stream's target. Unknown codes from a peer are kept as their number.
/// </summary>
public enum TunnelErrorCode : uint
{
    /// <summary>Orderly: nothing went wrong.</summary>
    NoError = 0,

    /// <summary>The peer broke a frame or stream rule.</summary>
    ProtocolError = 1,

    /// <summary>A local failure not caused by the peer.</summary>
    Internal = 2,

    /// <summary>DATA beyond the credit, a zero or overflowing WINDOW_UPDATE.</summary>
    FlowControl = 3,

    /// <summary>A step did not finish in time (open, rekey, ping).</summary>
    Timeout = 4,

    /// <summary>A frame for a stream that is already closed.</summary>
    StreamClosed = 5,

    /// <summary>A record or frame of an impossible size.</summary>
    FrameSize = 6,

    /// <summary>The OPEN was not processed (max streams, GOAWAY, budget): safe to retry on another connection.</summary>
    RefusedStream = 7,

    /// <summary>The stream is no longer wanted (the client went away).</summary>
    Cancel = 8,

    /// <summary>The handshake authenticated a peer that is not allowed.</summary>
    AuthFailed = 9,

    /// <summary>Wrong epoch, a second INIT, a KK failure or a rekey timeout.</summary>
    RekeyError = 10,

    /// <summary>The peer floods (pings, resets, empty frames, control queue).</summary>
    EnhanceYourCalm = 11,

    /// <summary>The connection drained past its deadline.</summary>
    ShuttingDown = 12,

    /// <summary>The target refused the TCP connection.</summary>
    ConnectRefused = 0x100,

    /// <summary>The target did not answer within the dial timeout.</summary>
    ConnectTimeout = 0x101,

    /// <summary>No route to the target.</summary>
    Unreachable = 0x102,

    /// <summary>The gateway's Outbound rules deny the target.</summary>
    ForbiddenTarget = 0x103,

    /// <summary>The target reset the connection.</summary>
    TargetReset = 0x104,

    /// <summary>The target's name did not resolve.</summary>
    DnsFailure = 0x105,
}
