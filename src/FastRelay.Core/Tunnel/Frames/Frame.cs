using System.Buffers.Binary;

namespace FastRelay.Tunnel.Frames;

/// <summary>
/// One frame read from a decrypted record: the header and a view of its body, valid only until the record
/// buffer is reused. The typed accessors assume <see cref="FrameReader"/> already checked the body size.
/// </summary>
public readonly ref struct Frame
{
    /// <summary>Wraps a checked header and its body.</summary>
    public Frame(FrameHeader header, ReadOnlySpan<byte> body)
    {
        Header = header;
        Body = body;
    }

    /// <summary>The header as read.</summary>
    public FrameHeader Header { get; }

    /// <summary>The body (DATA bytes, OPEN target, …).</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>The frame type.</summary>
    public FrameType Type => Header.Type;

    /// <summary>The stream id (0 for connection frames).</summary>
    public uint StreamId => Header.StreamId;

    /// <summary>True when <paramref name="flag"/> is set.</summary>
    public bool Has(byte flag) => (Header.Flags & flag) != 0;

    /// <summary>WINDOW_UPDATE increment, RST error code, or the REKEY epoch: the first u32 of the body.</summary>
    public uint FirstWord => BinaryPrimitives.ReadUInt32BigEndian(Body);

    /// <summary>PING: the 8 opaque bytes as a number.</summary>
    public ulong PingPayload => BinaryPrimitives.ReadUInt64BigEndian(Body);

    /// <summary>GOAWAY: the error code after the last stream id.</summary>
    public TunnelErrorCode GoAwayCode => (TunnelErrorCode)BinaryPrimitives.ReadUInt32BigEndian(Body[4..]);

    /// <summary>GOAWAY: the debug text (UTF-8; invalid bytes become U+FFFD, it is for logs only).</summary>
    public string GoAwayDebug => System.Text.Encoding.UTF8.GetString(Body[8..]);

    /// <summary>REKEY INIT/RESP: the 48-byte KK message after the epoch.</summary>
    public ReadOnlySpan<byte> RekeyMessage => Body[4..];
}
