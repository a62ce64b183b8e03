namespace FastRelay.Audit.Internal;

/// <summary>What <see cref="LineReader.Next"/> found.</summary>
internal enum LineKind
{
    /// <summary>No more lines.</summary>
    End,

    /// <summary>A line that ended with its newline.</summary>
    Line,

    /// <summary>The last bytes of the file, without a newline (a torn write, or a file that does not end in one).</summary>
    Unterminated,

    /// <summary>A line longer than the reader's bound: skipped (to its newline) without being held.</summary>
    TooLong,
}

/// <summary>
/// Reads the newline-separated lines of an audit file (a JSONL log, a spool segment) with a bounded buffer, up to
/// the length the file had when it was opened.
/// </summary>
/// <remarks>
/// Why: <c>File.ReadLines</c> and <c>File.ReadAllBytes</c> hold a whole line, or file, in memory, so a file with a
/// gigabyte between two newlines (a log named by mistake, a damaged disk) ended in an OutOfMemoryException. Here a
/// line is at most <c>maxLineBytes</c>; a longer one is reported as <see cref="LineKind.TooLong"/> and skipped.
/// Reading stops at the length seen at open, so a file the edge keeps appending to is read as a snapshot, and a
/// device such as <c>/dev/zero</c> (seekable, length 0) is empty rather than endless. A pipe is read to its end.
/// </remarks>
internal sealed class LineReader
{
    private const int FirstBuffer = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _remaining;

    /// <summary>A reader of <paramref name="stream"/> (not disposed by it) whose lines are at most <paramref name="maxLineBytes"/>.</summary>
    public LineReader(Stream stream, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(FirstBuffer, maxLineBytes + 1)];
        _remaining = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
    }

    /// <summary>
    /// The next line, without its newline, in <paramref name="line"/> (valid until the next call); empty unless
    /// the result is <see cref="LineKind.Line"/> or <see cref="LineKind.Unterminated"/>.
    /// </summary>
    public LineKind Next(out ReadOnlySpan<byte> line)
    {
        var skipping = false;
        var scanned = 0; // Bytes of the pending line already searched for a newline: a line arriving in small reads is searched once.
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var newline = pending[scanned..].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                newline += scanned;
                _start += newline + 1;
                line = skipping ? default : pending[..newline]; // The buffer holds at most maxLineBytes + 1.
                return skipping ? LineKind.TooLong : LineKind.Line;
            }

            if (_remaining == 0)
            {
                _start = _end;
                if (skipping || pending.Length > _maxLineBytes)
                {
                    line = default;
                    return LineKind.TooLong;
                }

                line = pending;
                return pending.IsEmpty ? LineKind.End : LineKind.Unterminated;
            }

            if (pending.Length > _maxLineBytes)
            {
                skipping = true; // Past the bound with no newline: drop what is held and read on to the newline.
                _start = _end = 0;
                scanned = 0;
            }
            else
            {
                scanned = pending.Length;
                if (_end == _buffer.Length && _start > 0)
                {
                    pending.CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                else if (_end == _buffer.Length)
                {
                    Array.Resize(ref _buffer, (int)Math.Min(_maxLineBytes + 1L, _buffer.Length * 2L));
                }
            }

            var read = _stream.Read(_buffer, _end, (int)Math.Min(_buffer.Length - _end, _remaining));
            if (read == 0)
            {
                _remaining = 0; // Shorter than it was at open (truncated) or a pipe's end.
            }
            else
            {
                _end += read;
                _remaining -= read;
            }
        }
    }
}
