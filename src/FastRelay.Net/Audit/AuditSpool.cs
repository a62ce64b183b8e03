using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using FastRelay.Audit.Internal;
using FastRelay.Configuration;

namespace FastRelay.Audit;

/// <summary>Takes one chunk of replayed records; false when the sink failed (replay stops there).</summary>
internal delegate bool SpoolChunkWriter(ReadOnlySpan<AuditRecord> chunk);

/// <summary>
/// The local spool: append-only segment files that hold records while the sink is unreachable (or the queue
/// is full), replayed in order when it returns and deleted once written. Format in docs/audit.md.
/// </summary>
/// <remarks>
/// <para>Each segment is <c>spool-NNNNNNNN.log</c> (a sequence number, so names sort in write order); each
/// line is <c>CRC32 JSON\n</c>: eight lower-case hex digits of the CRC-32 of the JSON bytes, a space, the
/// record as <see cref="AuditJson"/> writes it. A line whose CRC does not match, or a last line without its
/// newline (a torn write at a crash), is skipped and counted (<see cref="AuditStats.SpoolCorrupt"/>).</para>
/// <para>A process appends only to a segment it created; segments found at start are replayed first. A
/// segment is rotated at <see cref="SegmentBytes"/> and before each replay, so replay reads only closed
/// files. Thread-safe: appends come from the writer and, on overflow, from connections.</para>
/// </remarks>
internal sealed class AuditSpool : IDisposable
{
    /// <summary>A segment is closed and a new one begun past this size.</summary>
    public const long SegmentBytes = 16 << 20;

    private readonly string _directory;
    private readonly AuditStats _stats;
    private readonly object _lock = new();
    private readonly ArrayBufferWriterPool _buffer = new();
    private readonly List<string> _closed;
    private FileStream? _current;
    private bool _dirty;
    private long _nextSequence;
    private volatile bool _hasPending;
    private bool _disposed;

    /// <summary>Opens (creating) the spool directory and finds the segments a previous run left.</summary>
    /// <exception cref="IOException">The directory cannot be created or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not ours to write.</exception>
    public AuditSpool(string directory, AuditStats stats)
    {
        _directory = directory;
        _stats = stats;
        Directory.CreateDirectory(directory);
        _closed = [.. Directory.GetFiles(directory, "spool-*.log").Where(f => Sequence(f) >= 0).OrderBy(Sequence)];
        _nextSequence = _closed.Count == 0 ? 1 : Sequence(_closed[^1]) + 1;
        _hasPending = _closed.Any(f => new FileInfo(f).Length > 0);
        _stats.SpoolBytes = _closed.Sum(f => new FileInfo(f).Length);
    }

    /// <summary>True while some record waits in the spool: new records then go behind it, to keep the order.</summary>
    public bool HasPending => _hasPending;

    /// <summary>The spool directory.</summary>
    public string Location => _directory;

    /// <summary>Appends <paramref name="records"/>, written through to the kernel (<see cref="Sync"/> makes them durable on disk).</summary>
    /// <exception cref="IOException">The disk failed or is full; the caller counts the records as lost.</exception>
    public void Append(ReadOnlySpan<AuditRecord> records)
    {
        if (records.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            var (bytes, json) = _buffer.Rent();
            var before = _current?.Length ?? 0;
            Span<byte> prefix = stackalloc byte[9];
            foreach (ref readonly var record in records)
            {
                var start = bytes.WrittenCount;
                AuditJson.Write(json, record);
                json.Flush();
                json.Reset();
                var crc = Crc32.Compute(bytes.WrittenSpan[start..]);
                _current ??= OpenSegment();
                Utf8Formatter.TryFormat(crc, prefix, out _, new StandardFormat('x', 8));
                prefix[8] = (byte)' ';
                _current.Write(prefix);
                _current.Write(bytes.WrittenSpan[start..]);
                _current.WriteByte((byte)'\n');
                bytes.ResetWrittenCount();
                json.Reset(bytes);
            }

            // Handed to the kernel before the records count as spooled: FileStream's 64 KiB buffer would lose a
            // whole batch of them (every overflow record of a burst) if the process died, where the page cache
            // keeps them unless the machine dies too (Sync's fsync covers that).
            _current!.Flush(flushToDisk: false);
            _dirty = true;
            _hasPending = true;
            _stats.SpoolBytes += _current!.Length - before; // Before the count: whoever sees the records spooled sees their bytes.
            _stats.AddSpooled(records.Length);
            if (_current.Length >= SegmentBytes || _disposed)
            {
                CloseCurrent();
            }
        }
    }

    /// <summary>Makes every appended record durable (fsync), if any was appended since the last call.</summary>
    public void Sync()
    {
        lock (_lock)
        {
            if (_dirty)
            {
                _current?.Flush(flushToDisk: true);
                _dirty = false;
            }
        }
    }

    /// <summary>
    /// Replays every spooled record in write order through <paramref name="write"/>, in chunks of up to
    /// <paramref name="chunk"/>.Length; deletes each segment once all of it is written.
    /// </summary>
    /// <returns>True when the spool is empty (all replayed); false when <paramref name="write"/> failed.</returns>
    public bool Replay(SpoolChunkWriter write, AuditRecord[] chunk)
    {
        List<string> segments;
        lock (_lock)
        {
            CloseCurrent();
            segments = [.. _closed];
        }

        foreach (var segment in segments)
        {
            long length;
            try
            {
                length = new FileInfo(segment).Length;
                if (!ReplaySegment(segment, write, chunk))
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted under us (a temp-file cleaner, an operator): its records are gone whatever we do. Counted
                // as one corrupt entry and forgotten, or every replay would fail on it and the spool never drain.
                _stats.AddSpoolCorrupt(1);
                length = -1; // Its size is not known now: the byte count is taken again from the files that are left.
            }

            File.Delete(segment);
            lock (_lock)
            {
                _closed.Remove(segment);
                _stats.SpoolBytes = length >= 0 ? _stats.SpoolBytes - length
                    : _closed.Sum(f => new FileInfo(f) is { Exists: true } info ? info.Length : 0) + (_current?.Length ?? 0);
                _hasPending = _closed.Count > 0 || _current is { Length: > 0 };
            }
        }

        return !_hasPending;
    }

    /// <summary>
    /// Closes the current segment (fsynced). The spool stays usable: a record that arrives later (a
    /// connection that outlived the drain) is still appended, in a segment of its own closed at once.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            CloseCurrent();
        }
    }

    private bool ReplaySegment(string segment, SpoolChunkWriter write, AuditRecord[] chunk)
    {
        // Streamed with a bounded line: a segment is ours and at most about SegmentBytes, but a damaged or foreign
        // file in the spool directory must not take the writer down with an OutOfMemoryException at every start.
        using var stream = FifoSafeOpen.Open(segment);
        var lines = new LineReader(stream, AuditJson.MaxLineBytes + 9);
        var count = 0;
        LineKind kind;
        while ((kind = lines.Next(out var line)) != LineKind.End)
        {
            // A torn tail (Unterminated: the write cut off when the process died), a line too long to be ours, or
            // a line that does not check: counted and skipped.
            if (kind == LineKind.Line && TryParseLine(line, out var record))
            {
                chunk[count++] = record;
            }
            else
            {
                _stats.AddSpoolCorrupt(1);
            }

            if (count == chunk.Length)
            {
                if (!write(chunk))
                {
                    return false;
                }

                count = 0;
            }
        }

        return count == 0 || write(chunk.AsSpan(0, count));
    }

    private static bool TryParseLine(ReadOnlySpan<byte> line, out AuditRecord record)
    {
        record = default;
        return line.Length > 9 && line[8] == (byte)' '
            && Utf8Parser.TryParse(line[..8], out uint crc, out var consumed, 'x') && consumed == 8
            && Crc32.Compute(line[9..]) == crc
            && AuditJson.TryRead(line[9..], out record);
    }

    private FileStream OpenSegment()
    {
        var path = Path.Combine(_directory, $"spool-{_nextSequence++:D8}.log");

        // CreateNew: never append to a file another run left (its tail may be torn).
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
    }

    private void CloseCurrent()
    {
        if (_current is null)
        {
            return;
        }

        _current.Flush(flushToDisk: true);
        _dirty = false;
        var path = _current.Name;
        var empty = _current.Length == 0;
        _current.Dispose();
        _current = null;
        if (empty)
        {
            File.Delete(path);
        }
        else
        {
            _closed.Add(path);
        }
    }

    private static long Sequence(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return name.Length > 6 && long.TryParse(name.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }
}
