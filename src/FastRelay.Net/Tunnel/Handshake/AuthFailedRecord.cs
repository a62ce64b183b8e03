using System.Buffers.Binary;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The one record an exit sends when it rejects an edge after msg3: <c>GOAWAY(last_stream_id = 0, AUTH_FAILED)</c> with
/// no debug text (docs/PROTOCOL.md "Identity": the exit has transport keys by then, so the edge learns it was refused
/// rather than guessing from a reset; the reason stays in the exit's log, STYLE H5.7). Record format: §4.3; frame
/// format as the mux reads it (PROTOCOL.md "Implementation notes: mux"): <c>u8 type ‖ u8 flags ‖ u16 body_length ‖
/// u32 stream_id ‖ body</c>, body = <c>u32 last_stream_id ‖ u32 error</c>. Written here by hand so the handshake does
/// not depend on the mux's frame writer.
/// </summary>
internal static class AuthFailedRecord
{
    /// <summary>GOAWAY frame type.</summary>
    public const byte GoAwayType = 0x06;

    /// <summary>AUTH_FAILED error code.</summary>
    public const uint AuthFailed = 9;

    /// <summary>GOAWAY body: last_stream_id, error; no debug text.</summary>
    public const int BodySize = 4 + 4;

    /// <summary>Frame: the 8-byte header (type, flags, body length, stream id 0), then the body.</summary>
    public const int FrameSize = 8 + BodySize;

    /// <summary>The whole record (u16 len ‖ ciphertext ‖ tag), encrypted with the exit's first send nonce.</summary>
    public static byte[] Write(CipherState send)
    {
        var length = FrameSize + CipherState.TagSize;
        var record = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length);
        var frame = record.AsSpan(2, FrameSize);
        frame[0] = GoAwayType;
        frame[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], BodySize);
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(frame[8..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(frame[12..], AuthFailed);
        send.Encrypt(record.AsSpan(0, 2), record.AsSpan(2), FrameSize);
        return record;
    }
}
