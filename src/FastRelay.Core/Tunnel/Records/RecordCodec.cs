using System.Buffers.Binary;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Records;

/// <summary>
/// Records (§4.3): <c>u16 len ‖ ChaCha20-Poly1305(k, n, ad = the 2 len bytes, frames) ‖ tag</c>, with
/// 24 ≤ len ≤ max_record. The nonce n is implicit (<see cref="CipherState"/> counts it), so any replayed,
/// reordered, dropped, truncated or spliced record fails authentication. Works in place; allocates nothing.
/// </summary>
public static class RecordCodec
{
    /// <summary>
    /// Seals the record laid out in <paramref name="record"/>: 2 bytes left for the length, then
    /// <paramref name="plaintextLength"/> bytes of frames, then room for the tag. Returns the record's wire size.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The plaintext is shorter than a frame header or longer than a record holds.</exception>
    public static int Seal(CipherState cipher, Span<byte> record, int plaintextLength)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        ArgumentOutOfRangeException.ThrowIfLessThan(plaintextLength, FrameHeader.Size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(plaintextLength, FrameLimits.MaxRecordPlaintext);
        var length = plaintextLength + FrameLimits.TagSize;
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length);
        cipher.Encrypt(record[..FrameLimits.RecordLengthSize], record.Slice(FrameLimits.RecordLengthSize, length), plaintextLength);
        return FrameLimits.RecordLengthSize + length;
    }

    /// <summary>
    /// Reads and checks a record's length prefix before anything is read or allocated for its body. False
    /// with a FRAME_SIZE error when the length is below 24 or above <paramref name="maxRecord"/> (§4.10).
    /// </summary>
    public static bool TryReadLength(ReadOnlySpan<byte> prefix, int maxRecord, out int length, out FrameError error)
    {
        length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (length < FrameLimits.MinRecordLength || length > maxRecord)
        {
            error = new FrameError(TunnelErrorCode.FrameSize,
                $"record length {length} (expected {FrameLimits.MinRecordLength}-{maxRecord})");
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>
    /// Opens a record in place: <paramref name="record"/> is the length prefix and the ciphertext with its tag.
    /// On success the frames are at <c>record[2..^16]</c>. False on an authentication failure: close at once.
    /// </summary>
    public static bool TryOpen(CipherState cipher, Span<byte> record)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        return cipher.TryDecrypt(record[..FrameLimits.RecordLengthSize], record[FrameLimits.RecordLengthSize..]);
    }

    /// <summary>The frames of a record opened by <see cref="TryOpen"/>.</summary>
    public static Span<byte> Plaintext(Span<byte> record) =>
        record[FrameLimits.RecordLengthSize..^FrameLimits.TagSize];
}
