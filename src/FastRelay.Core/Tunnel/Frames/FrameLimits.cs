namespace FastRelay.Tunnel.Frames;

/// <summary>Protocol constants for frames and records (§4.3, §4.4), in one place.</summary>
public static class FrameLimits
{
    /// <summary>The Poly1305 tag after every record's ciphertext.</summary>
    public const int TagSize = 16;

    /// <summary>The u16 length prefix of a record (also its associated data).</summary>
    public const int RecordLengthSize = 2;

    /// <summary>The largest record length, the Noise maximum message size.</summary>
    public const int MaxRecordLength = 65535;

    /// <summary>The smallest record length: one frame header and the tag (a record always carries a frame).</summary>
    public const int MinRecordLength = FrameHeader.Size + TagSize;

    /// <summary>The largest plaintext one record carries.</summary>
    public const int MaxRecordPlaintext = MaxRecordLength - TagSize;

    /// <summary>The largest DATA body (one frame alone in a maximum record).</summary>
    public const int MaxDataBody = MaxRecordPlaintext - FrameHeader.Size;

    /// <summary>The largest OPEN body (the encoded target).</summary>
    public const int MaxOpenBody = 1024;

    /// <summary>The largest GOAWAY debug text, in UTF-8 bytes.</summary>
    public const int MaxGoAwayDebug = 256;

    /// <summary>The largest credit a stream may hold, and the largest WINDOW_UPDATE (2^31 - 1).</summary>
    public const long MaxWindow = int.MaxValue;

    /// <summary>The size of one KK rekey message (48 bytes: e and an empty encrypted payload).</summary>
    public const int RekeyMessageSize = 48;

    /// <summary>The 8 opaque bytes of a PING.</summary>
    public const int PingBody = 8;
}
