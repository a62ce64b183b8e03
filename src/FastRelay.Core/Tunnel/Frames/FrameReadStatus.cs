namespace FastRelay.Tunnel.Frames;

/// <summary>The outcome of <see cref="FrameReader.TryReadNext"/>.</summary>
public enum FrameReadStatus
{
    /// <summary>A well-formed frame of a known type.</summary>
    Frame,

    /// <summary>An extension frame (type ≥ 0x80) that was skipped; it counts toward flood limits.</summary>
    Ignored,

    /// <summary>The record has no more frames.</summary>
    End,

    /// <summary>The input breaks a rule of §4.4: close the connection with the error's code.</summary>
    Error,
}
