using System.Text;

namespace FastRelay.Configuration;

/// <summary>
/// Finds invalid UTF-8 in files users write (policy, <c>--config</c>): JsonDocument only notices when a
/// string is read, and then throws an exception that is no error message, so loaders check first.
/// </summary>
public static class Utf8Text
{
    /// <summary>3 when the text starts with a UTF-8 byte-order mark (Windows editors write one), else 0: what JSON readers must skip.</summary>
    public static int ByteOrderMarkLength(ReadOnlySpan<byte> utf8) => utf8.StartsWith("\uFEFF"u8) ? 3 : 0;

    /// <summary>The offset of the first byte that is not valid UTF-8, or null when all of it is.</summary>
    public static int? FirstInvalidByte(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return null;
        }

        var offset = 0;
        while (offset < utf8.Length)
        {
            if (Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return null;
    }
}
