using System.Buffers.Binary;
using System.Net;

namespace FastRelay.Filtering;

/// <summary>
/// IP addresses as one 128-bit number, so that IPv4 and IPv6 share one sorted space and a lookup is a
/// compare of integers, with no allocation. IPv4 <c>a.b.c.d</c> is the IPv4-mapped IPv6 address
/// <c>::ffff:a.b.c.d</c> (RFC 4291 section 2.5.5.2), which is also what a dual-stack socket reports for an
/// IPv4 client, so both spellings of one client get the same key.
/// </summary>
internal static class AddressKey
{
    /// <summary>The first key of the IPv4 block, <c>::ffff:0.0.0.0</c>.</summary>
    public static readonly UInt128 IPv4First = new(0, 0xFFFF_0000_0000UL);

    /// <summary>The last key of the IPv4 block, <c>::ffff:255.255.255.255</c>.</summary>
    public static readonly UInt128 IPv4Last = new(0, 0xFFFF_FFFF_FFFFUL);

    /// <summary>The key of <paramref name="address"/>. Allocation-free.</summary>
    public static UInt128 From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException($"'{address}' is not an IPv4 or IPv6 address", nameof(address));
        }

        return written == 4
            ? IPv4First | BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>True when <paramref name="key"/> is an IPv4 address.</summary>
    public static bool IsIPv4(UInt128 key) => key >= IPv4First && key <= IPv4Last;

    /// <summary>The address for <paramref name="key"/>, as IPv4 when it is in the IPv4 block (for messages).</summary>
    public static IPAddress ToAddress(UInt128 key)
    {
        if (IsIPv4(key))
        {
            return new IPAddress((long)BinaryPrimitives.ReverseEndianness((uint)(key - IPv4First)));
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        return new IPAddress(bytes);
    }
}
