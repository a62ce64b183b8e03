using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// The outcome of <see cref="TunnelConnection.OpenStreamAsync"/>: a connected stream, or the RST code and
/// whether the target was certainly not dialled, so the caller may retry on another connection
/// (REFUSED_STREAM, an OPEN above the peer's GOAWAY, or an OPEN that never left this side).
/// </summary>
public readonly record struct TunnelOpenResult(TunnelStream? Stream, TunnelErrorCode Error, bool Retryable)
{
    /// <summary>True when <see cref="Stream"/> is connected.</summary>
    public bool IsOpen => Stream is not null;
}
