namespace FastRelay.Tunnel.Frames;

/// <summary>Why a peer's input is fatal: the GOAWAY code to send and the reason to log (names the input).</summary>
public readonly record struct FrameError(TunnelErrorCode Code, string Reason);
