using System.Buffers.Binary;

namespace FastRelay.Tunnel.Frames;

/// <summary>
/// The frame header: <c>u8 type ‖ u8 flags ‖ u16 body_length ‖ u32 stream_id</c>, big-endian. The body
/// length is what lets several frames share one record (PROTOCOL.md "Implementation notes: mux").
/// </summary>
public readonly record struct FrameHeader(FrameType Type, byte Flags, int BodyLength, uint StreamId)
{
    /// <summary>Bytes in a header.</summary>
    public const int Size = 8;

    /// <summary>Reads a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (FrameType)source[0],
        source[1],
        BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
        BinaryPrimitives.ReadUInt32BigEndian(source[4..]));

    /// <summary>Writes this header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        destination[1] = Flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)BodyLength));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
    }
}
