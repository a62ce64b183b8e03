using System.Buffers;
using System.Buffers.Binary;

namespace FastRelay.Tunnel.Identity;

/// <summary>
/// <c>u16 type ‖ u16 len ‖ value</c> items (docs/PROTOCOL.md "Identity payload"). Unknown odd types are ignored and
/// unknown even types are fatal: the "it's ok to be odd" rule of Lightning BOLT 1, so later versions can add optional
/// fields without a version bump.
/// </summary>
internal static class Tlv
{
    /// <summary>Size of the type and length header.</summary>
    public const int HeaderSize = 4;

    /// <summary>Appends one item.</summary>
    /// <exception cref="ArgumentException">The value is longer than 65535 bytes.</exception>
    public static void Write(IBufferWriter<byte> writer, ushort type, ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"TLV 0x{type:x2}: value of {value.Length} bytes exceeds 65535", nameof(value));
        }

        var span = writer.GetSpan(HeaderSize + value.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)value.Length);
        value.CopyTo(span[HeaderSize..]);
        writer.Advance(HeaderSize + value.Length);
    }

    /// <summary>Appends one item with a u32 (big-endian) value.</summary>
    public static void WriteUInt32(IBufferWriter<byte> writer, ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Write(writer, type, bytes);
    }

    /// <summary>
    /// Reads the next item from <paramref name="input"/> and advances it. False with an error naming the offset when the
    /// header or value runs past the end.
    /// </summary>
    public static bool TryRead(ref ReadOnlySpan<byte> input, int offset, out ushort type, out ReadOnlySpan<byte> value, out string? error)
    {
        type = 0;
        value = default;
        error = null;
        if (input.Length < HeaderSize)
        {
            error = $"truncated TLV header at offset {offset}";
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(input);
        var length = BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
        if (input.Length - HeaderSize < length)
        {
            error = $"TLV 0x{type:x2} at offset {offset} claims {length} bytes, {input.Length - HeaderSize} remain";
            return false;
        }

        value = input.Slice(HeaderSize, length);
        input = input[(HeaderSize + length)..];
        return true;
    }

    /// <summary>Whether an unknown type may be skipped (odd) or must fail (even).</summary>
    public static bool IsIgnorable(ushort type) => (type & 1) == 1;
}
