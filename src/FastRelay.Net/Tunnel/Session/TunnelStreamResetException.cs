using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// A tunnel stream ended abnormally: the peer sent RST, the connection closed or died, or the stream was
/// aborted here. Completes the stream's <c>Input</c> the way a socket reset completes a socket's.
/// </summary>
public sealed class TunnelStreamResetException(uint streamId, TunnelErrorCode code, string detail)
    : IOException($"Tunnel stream {streamId} reset: {code} ({detail}).")
{
    /// <summary>The stream.</summary>
    public uint StreamId { get; } = streamId;

    /// <summary>The RST or GOAWAY code.</summary>
    public TunnelErrorCode Code { get; } = code;
}
