using System.Buffers.Binary;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The one record an exit sends when it rejects an edge after msg3: <c>GOAWAY(last_stream_id = 0, AUTH_FAILED)</c> with
/// no debug text (docs/PROTOCOL.md "Identity": the exit has transport keys by then, so the edge learns it was refused
/// rather than guessing from a reset; the reason stays in the exit's log, STYLE H5.7). Record format: §4.3.
/// </summary>
internal static class AuthFailedRecord
{
    /// <summary>GOAWAY frame type.</summary>
    public const byte GoAwayType = 0x06;

    /// <summary>AUTH_FAILED error code.</summary>
    public const uint AuthFailed = 9;

    /// <summary>Frame: type, flags, stream id 0, last_stream_id 0, error.</summary>
    public const int FrameSize = 1 + 1 + 4 + 4 + 4;

    /// <summary>The whole record (u16 len ‖ ciphertext ‖ tag), encrypted with the exit's first send nonce.</summary>
    public static byte[] Write(CipherState send)
    {
        var length = FrameSize + CipherState.TagSize;
        var record = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length);
        var frame = record.AsSpan(2, FrameSize);
        frame[0] = GoAwayType;
        frame[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(frame[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(frame[6..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(frame[10..], AuthFailed);
        send.Encrypt(record.AsSpan(0, 2), record.AsSpan(2), FrameSize);
        return record;
    }
}
