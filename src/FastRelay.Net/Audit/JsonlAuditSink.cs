using System.Buffers;

namespace FastRelay.Audit;

/// <summary>
/// <c>--audit jsonl:PATH</c>: appends one JSON object per record and line (keys = the table's column
/// names, <see cref="AuditJson"/>), fsynced once per batch.
/// </summary>
/// <remarks>
/// A file has no unique index: a batch replayed after a failed fsync may appear twice, so readers (and
/// <c>fastrelay audit query</c>) take each <c>record_id</c> once.
/// </remarks>
internal sealed class JsonlAuditSink(string path) : IAuditSink
{
    private readonly ArrayBufferWriterPool _buffer = new();
    private FileStream? _file;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<AuditRecord> batch)
    {
        _file ??= Open(path);
        try
        {
            var (bytes, json) = _buffer.Rent();
            foreach (ref readonly var record in batch)
            {
                AuditJson.Write(json, record);
                json.Flush();
                json.Reset();
                bytes.Write("\n"u8);
            }

            _file.Write(bytes.WrittenSpan);
            _file.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // The next call reopens: a full disk or a removed file must not stick.
            _file.Dispose();
            _file = null;
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _file?.Dispose();
        _buffer.Dispose();
    }

    private static FileStream Open(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Configuration.PathProblem.CreateDirectory(directory); // Says which part of the path is in the way.
        }

        var file = AppendOnlyFile.Open(path); // O_APPEND: a handoff's old and new edge write here at once.
        try
        {
            if (EndsMidLine(path))
            {
                // A write cut short (a full disk) left part of a line: end it, so the next record starts a line of its
                // own instead of being glued to the fragment, which readers skip (the fragment stays one bad line).
                file.Write("\n"u8);
            }

            return file;
        }
        catch
        {
            file.Dispose(); // The disk may still be full: the next batch opens again, without this handle.
            throw;
        }
    }

    private static bool EndsMidLine(string path)
    {
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        if (reader.Length == 0)
        {
            return false;
        }

        reader.Position = reader.Length - 1;
        return reader.ReadByte() != '\n';
    }
}
