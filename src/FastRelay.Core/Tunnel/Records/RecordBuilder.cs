using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Noise;

namespace FastRelay.Tunnel.Records;

/// <summary>
/// Builds a batch of records in one buffer: frames are appended to the open record until it is full, so a
/// burst of small frames pays one AEAD call (about 2 µs fixed cost each, tunnel.md §1) and the whole batch
/// goes out in one send. The buffer is reused from batch to batch: nothing is allocated per record.
/// </summary>
/// <remarks>Not thread-safe: owned by a connection's write loop.</remarks>
public sealed class RecordBuilder
{
    private const int Overhead = FrameLimits.RecordLengthSize + FrameLimits.TagSize;

    private readonly byte[] _buffer;
    private readonly int _maxPlaintext;
    private int _sealedEnd;
    private int _recordStart = -1;
    private int _writeOffset;

    /// <summary>
    /// A builder whose batch holds up to <paramref name="batchBytes"/> bytes of sealed records, each at most
    /// <paramref name="maxRecord"/> long (the negotiated max_record, ≤ 65535).
    /// </summary>
    public RecordBuilder(int batchBytes, int maxRecord)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecord, FrameLimits.MinRecordLength + 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRecord, FrameLimits.MaxRecordLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchBytes, maxRecord + FrameLimits.RecordLengthSize);
        _buffer = GC.AllocateUninitializedArray<byte>(batchBytes, pinned: true);
        _maxPlaintext = maxRecord - FrameLimits.TagSize;
    }

    /// <summary>The records sealed so far, ready to send.</summary>
    public ReadOnlyMemory<byte> Sealed => _buffer.AsMemory(0, _sealedEnd);

    /// <summary>Records sealed in this batch.</summary>
    public int RecordsInBatch { get; private set; }

    /// <summary>True when no frame is waiting (sealed or not).</summary>
    public bool IsEmpty => _sealedEnd == 0 && _recordStart < 0;

    /// <summary>True when a record is open (frames appended, not yet sealed).</summary>
    public bool HasOpenRecord => _recordStart >= 0;

    /// <summary>Bytes of frames in the open record.</summary>
    public int OpenRecordPlaintext => _recordStart < 0 ? 0 : _writeOffset - _recordStart - FrameLimits.RecordLengthSize;

    /// <summary>
    /// Space for a frame of at least <paramref name="minBytes"/> (header included), in the open record or, when it
    /// is full, a new one after sealing it with <paramref name="cipher"/>. Empty when the batch has no room left:
    /// send <see cref="Sealed"/>, <see cref="Reset"/>, and ask again. Write the frame and call <see cref="Commit"/>.
    /// </summary>
    public Span<byte> GetFrameSpace(int minBytes, CipherState cipher)
    {
        if (_recordStart >= 0 && _maxPlaintext - OpenRecordPlaintext < minBytes)
        {
            SealOpenRecord(cipher);
        }

        if (_recordStart < 0)
        {
            if (_buffer.Length - _sealedEnd < Overhead + minBytes)
            {
                return Span<byte>.Empty;
            }

            _recordStart = _sealedEnd;
            _writeOffset = _recordStart + FrameLimits.RecordLengthSize;
        }

        var room = Math.Min(_maxPlaintext - OpenRecordPlaintext, _buffer.Length - _writeOffset - FrameLimits.TagSize);
        return room < minBytes ? Span<byte>.Empty : _buffer.AsSpan(_writeOffset, room);
    }

    /// <summary>Adds the <paramref name="frameBytes"/> just written into the span from <see cref="GetFrameSpace"/>.</summary>
    public void Commit(int frameBytes) => _writeOffset += frameBytes;

    /// <summary>Seals the open record (if any) with <paramref name="cipher"/>; the next frame starts a new record.</summary>
    public void SealOpenRecord(CipherState cipher)
    {
        if (_recordStart < 0)
        {
            return;
        }

        var plaintext = OpenRecordPlaintext;
        if (plaintext > 0)
        {
            _sealedEnd = _recordStart + RecordCodec.Seal(cipher, _buffer.AsSpan(_recordStart), plaintext);
            RecordsInBatch++;
        }

        _recordStart = -1;
    }

    /// <summary>Starts an empty batch (after <see cref="Sealed"/> was sent).</summary>
    public void Reset()
    {
        _sealedEnd = 0;
        _recordStart = -1;
        RecordsInBatch = 0;
    }
}
