using System.Buffers.Binary;
using System.Text;

namespace FastRelay.Tunnel.Frames;

/// <summary>
/// Writes frames into a record being built. Each method writes header and body at the start of
/// <c>destination</c> and returns the bytes written; the caller checks the space first with the
/// matching size constant. No allocation.
/// </summary>
public static class FrameWriter
{
    /// <summary>Bytes of a WINDOW_UPDATE or RST frame.</summary>
    public const int WordFrameSize = FrameHeader.Size + 4;

    /// <summary>Bytes of a PING frame.</summary>
    public const int PingFrameSize = FrameHeader.Size + FrameLimits.PingBody;

    /// <summary>Writes the header of a DATA frame whose <paramref name="bodyLength"/> bytes the caller copies after it.</summary>
    public static int WriteDataHeader(Span<byte> destination, uint streamId, int bodyLength, bool fin)
    {
        new FrameHeader(FrameType.Data, fin ? FrameFlags.Fin : (byte)0, bodyLength, streamId).Write(destination);
        return FrameHeader.Size;
    }

    /// <summary>WINDOW_UPDATE: grants <paramref name="increment"/> more bytes of credit (1 … 2^31-1).</summary>
    public static int WriteWindowUpdate(Span<byte> destination, uint streamId, uint increment) =>
        WriteWord(destination, FrameType.WindowUpdate, 0, streamId, increment);

    /// <summary>RST with <paramref name="code"/>.</summary>
    public static int WriteRst(Span<byte> destination, uint streamId, TunnelErrorCode code) =>
        WriteWord(destination, FrameType.Rst, 0, streamId, (uint)code);

    /// <summary>OPEN_OK (empty body).</summary>
    public static int WriteOpenOk(Span<byte> destination, uint streamId)
    {
        new FrameHeader(FrameType.OpenOk, 0, 0, streamId).Write(destination);
        return FrameHeader.Size;
    }

    /// <summary>OPEN with the encoded target (at most <see cref="FrameLimits.MaxOpenBody"/> bytes).</summary>
    public static int WriteOpen(Span<byte> destination, uint streamId, ReadOnlySpan<byte> encodedTarget)
    {
        new FrameHeader(FrameType.Open, 0, encodedTarget.Length, streamId).Write(destination);
        encodedTarget.CopyTo(destination[FrameHeader.Size..]);
        return FrameHeader.Size + encodedTarget.Length;
    }

    /// <summary>PING (or its ACK) carrying <paramref name="payload"/>.</summary>
    public static int WritePing(Span<byte> destination, bool ack, ulong payload)
    {
        new FrameHeader(FrameType.Ping, ack ? FrameFlags.Ack : (byte)0, FrameLimits.PingBody, 0).Write(destination);
        BinaryPrimitives.WriteUInt64BigEndian(destination[FrameHeader.Size..], payload);
        return PingFrameSize;
    }

    /// <summary>The size of a GOAWAY with <paramref name="debug"/> (cut to <see cref="FrameLimits.MaxGoAwayDebug"/> bytes).</summary>
    public static int GoAwaySize(string? debug) =>
        FrameHeader.Size + 8 + Math.Min(FrameLimits.MaxGoAwayDebug, Encoding.UTF8.GetByteCount(debug ?? string.Empty));

    /// <summary>GOAWAY: the last stream id the sender processes, the code, and debug text for the peer's log.</summary>
    public static int WriteGoAway(Span<byte> destination, uint lastStreamId, TunnelErrorCode code, string? debug)
    {
        var body = destination[FrameHeader.Size..];
        BinaryPrimitives.WriteUInt32BigEndian(body, lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(body[4..], (uint)code);
        var debugBytes = 0;
        if (!string.IsNullOrEmpty(debug))
        {
            // Cut at a character boundary so the peer's log line stays valid UTF-8.
            Encoding.UTF8.GetEncoder().Convert(debug, body.Slice(8, Math.Min(FrameLimits.MaxGoAwayDebug, body.Length - 8)), flush: true, out _, out debugBytes, out _);
        }

        new FrameHeader(FrameType.GoAway, 0, 8 + debugBytes, 0).Write(destination);
        return FrameHeader.Size + 8 + debugBytes;
    }

    /// <summary>REKEY with one of the REKEY flags; <paramref name="message"/> is empty for DONE, 48 bytes otherwise.</summary>
    public static int WriteRekey(Span<byte> destination, byte flag, uint newEpoch, ReadOnlySpan<byte> message)
    {
        new FrameHeader(FrameType.Rekey, flag, 4 + message.Length, 0).Write(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination[FrameHeader.Size..], newEpoch);
        message.CopyTo(destination[(FrameHeader.Size + 4)..]);
        return FrameHeader.Size + 4 + message.Length;
    }

    private static int WriteWord(Span<byte> destination, FrameType type, byte flags, uint streamId, uint word)
    {
        new FrameHeader(type, flags, 4, streamId).Write(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination[FrameHeader.Size..], word);
        return WordFrameSize;
    }
}
