namespace FastRelay.Tunnel.Frames;

/// <summary>
/// Splits a decrypted record into frames and checks every row of the §4.4 table: type, flags, stream id
/// and exact body size. Stateless rules only; stream-state rules (id order, credit) belong to the session.
/// </summary>
/// <remarks>Cost is bounded by the record: each frame is looked at once, nothing is allocated unless an error
/// is returned (its reason text).</remarks>
public ref struct FrameReader
{
    private readonly ReadOnlySpan<byte> _record;
    private int _offset;

    /// <summary>Reads the frames of <paramref name="plaintext"/> (one record, tag removed).</summary>
    public FrameReader(ReadOnlySpan<byte> plaintext)
    {
        _record = plaintext;
    }

    /// <summary>Frames read so far (including ignored ones), for error messages.</summary>
    public int FramesRead { get; private set; }

    /// <summary>Reads the next frame; see <see cref="FrameReadStatus"/> for the outcomes.</summary>
    public FrameReadStatus TryReadNext(out Frame frame, out FrameError error)
    {
        frame = default;
        error = default;
        var remaining = _record.Length - _offset;
        if (remaining == 0)
        {
            return FramesRead == 0 ? Fail(out error, TunnelErrorCode.FrameSize, "record carries no frame") : FrameReadStatus.End;
        }

        if (remaining < FrameHeader.Size)
        {
            return Fail(out error, TunnelErrorCode.FrameSize, $"{remaining} trailing bytes after frame {FramesRead} are shorter than a frame header");
        }

        var header = FrameHeader.Read(_record[_offset..]);
        if (header.BodyLength > remaining - FrameHeader.Size)
        {
            return Fail(out error, TunnelErrorCode.FrameSize,
                $"{header.Type} frame body of {header.BodyLength} bytes exceeds the {remaining - FrameHeader.Size} bytes left in the record");
        }

        var body = _record.Slice(_offset + FrameHeader.Size, header.BodyLength);
        _offset += FrameHeader.Size + header.BodyLength;
        FramesRead++;
        if ((byte)header.Type >= (byte)FrameType.FirstExtension)
        {
            return FrameReadStatus.Ignored; // §4.4: unknown extensions are skipped, so new types can be added.
        }

        if (FrameRules.Check(header, body) is { } reason)
        {
            error = reason;
            return FrameReadStatus.Error;
        }

        frame = new Frame(header, body);
        return FrameReadStatus.Frame;
    }

    private static FrameReadStatus Fail(out FrameError error, TunnelErrorCode code, string reason)
    {
        error = new FrameError(code, reason);
        return FrameReadStatus.Error;
    }
}
