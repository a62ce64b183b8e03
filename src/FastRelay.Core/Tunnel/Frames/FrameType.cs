namespace FastRelay.Tunnel.Frames;

/// <summary>The frame types of PROTOCOL.md §4.4. Types 0x80-0xFF are extensions: ignored when unknown.</summary>
public enum FrameType : byte
{
    /// <summary>Stream bytes; flag <see cref="FrameFlags.Fin"/> ends the sender's direction.</summary>
    Data = 0x00,

    /// <summary>Grants the peer more send credit on one stream (u32 increment).</summary>
    WindowUpdate = 0x01,

    /// <summary>Opens a stream toward a target (edge to gateway only in v1).</summary>
    Open = 0x02,

    /// <summary>The gateway dialled the target: the stream is open.</summary>
    OpenOk = 0x03,

    /// <summary>Resets one stream (u32 error code).</summary>
    Rst = 0x04,

    /// <summary>Liveness probe on stream 0; <see cref="FrameFlags.Ack"/> echoes the 8 opaque bytes.</summary>
    Ping = 0x05,

    /// <summary>No new streams above last_stream_id (u32 last id, u32 error, debug text).</summary>
    GoAway = 0x06,

    /// <summary>One step of the in-band KK rekey (§4.8).</summary>
    Rekey = 0x07,

    /// <summary>The first extension type: from here on, unknown types are skipped.</summary>
    FirstExtension = 0x80,
}
