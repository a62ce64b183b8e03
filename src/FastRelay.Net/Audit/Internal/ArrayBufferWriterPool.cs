using System.Buffers;
using System.Text.Json;

namespace FastRelay.Audit;

/// <summary>
/// One reusable byte buffer and JSON writer over it, for the one thread that serializes records (the
/// writer, or a spool append under its lock): cleared on each rent, never shrunk.
/// </summary>
internal sealed class ArrayBufferWriterPool : IDisposable
{
    private readonly ArrayBufferWriter<byte> _bytes = new(64 * 1024);
    private readonly Utf8JsonWriter _json;

    public ArrayBufferWriterPool() => _json = new Utf8JsonWriter(_bytes, new JsonWriterOptions { SkipValidation = true });

    /// <summary>The buffer, emptied, and a JSON writer that appends to it.</summary>
    public (ArrayBufferWriter<byte> Bytes, Utf8JsonWriter Json) Rent()
    {
        _bytes.ResetWrittenCount();
        _json.Reset(_bytes);
        return (_bytes, _json);
    }

    /// <inheritdoc />
    public void Dispose() => _json.Dispose();
}
