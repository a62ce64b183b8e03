using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace FastRelay.Tunnel.Frames;

/// <summary>
/// The OPEN body (§4.4): <c>u8 kind ‖ addr ‖ u16 port ‖ TLVs</c>, at most 1024 bytes. addr is 4 or 16
/// bytes, or <c>u8 length ‖ ASCII</c> for a DNS name or named route. TLVs are <c>u8 type ‖ u8 length ‖ value</c>;
/// type 1 is the client address (4 or 16 address bytes ‖ u16 port). Unknown odd TLV types are skipped, unknown
/// even ones are an error (BOLT 1's "it's ok to be odd", as in the identity payload, §4.2).
/// </summary>
public static class TunnelTargetCodec
{
    private const byte ClientAddressTlv = 1;

    /// <summary>The encoded size of <paramref name="target"/>.</summary>
    public static int GetSize(TunnelTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var address = target.Kind switch
        {
            TunnelTargetKind.IPv4 => 4,
            TunnelTargetKind.IPv6 => 16,
            _ => 1 + target.Host.Length, // CheckName allows ASCII only: one byte per char.
        };
        return 1 + address + 2 + (target.ClientAddress is { } client ? 2 + AddressLength(client.Address) + 2 : 0);
    }

    /// <summary>Writes <paramref name="target"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(TunnelTarget target, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(target);
        destination[0] = (byte)target.Kind;
        var offset = 1;
        if (target.Address is { } address)
        {
            address.TryWriteBytes(destination[offset..], out var written);
            offset += written;
        }
        else
        {
            destination[offset++] = (byte)target.Host.Length;
            offset += Encoding.ASCII.GetBytes(target.Host, destination[offset..]);
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)target.Port);
        offset += 2;
        if (target.ClientAddress is { } client)
        {
            destination[offset++] = ClientAddressTlv;
            destination[offset++] = (byte)(AddressLength(client.Address) + 2);
            client.Address.TryWriteBytes(destination[offset..], out var written);
            offset += written;
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)client.Port);
            offset += 2;
        }

        return offset;
    }

    /// <summary>
    /// Reads an OPEN body. False with <paramref name="reason"/> (naming the field) when anything is malformed:
    /// the session answers with PROTOCOL_ERROR.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out TunnelTarget? target, out string? reason)
    {
        target = null;
        if (body.Length is < 1 or > FrameLimits.MaxOpenBody)
        {
            reason = $"OPEN target of {body.Length} bytes (expected 1-{FrameLimits.MaxOpenBody})";
            return false;
        }

        var kind = (TunnelTargetKind)body[0];
        var rest = body[1..];
        IPAddress? address = null;
        string host;
        switch (kind)
        {
            case TunnelTargetKind.IPv4 or TunnelTargetKind.IPv6:
                var size = kind == TunnelTargetKind.IPv4 ? 4 : 16;
                if (rest.Length < size + 2)
                {
                    reason = $"OPEN target {kind} address truncated ({rest.Length} bytes)";
                    return false;
                }

                address = new IPAddress(rest[..size]);
                host = address.ToString();
                rest = rest[size..];
                break;
            case TunnelTargetKind.Dns or TunnelTargetKind.NamedRoute:
                if (rest.Length < 1 || rest.Length < 1 + rest[0] + 2)
                {
                    reason = $"OPEN target {kind} name truncated";
                    return false;
                }

                host = Encoding.ASCII.GetString(rest.Slice(1, rest[0]));
                var problem = Ascii.IsValid(rest.Slice(1, rest[0])) ? CheckName(host) : "not ASCII";
                if (problem is not null)
                {
                    reason = $"OPEN target {kind} name is invalid: {problem}";
                    return false;
                }

                rest = rest[(1 + rest[0])..];
                break;
            default:
                reason = $"OPEN target kind 0x{(byte)kind:x2} is unknown (expected 1, 3, 4 or 0x10)";
                return false;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (port == 0 && kind != TunnelTargetKind.NamedRoute)
        {
            reason = "OPEN target port 0";
            return false;
        }

        if (!TryReadTlvs(rest[2..], out var client, out reason))
        {
            return false;
        }

        target = TunnelTarget.FromWire(kind, host, address, port, client);
        return true;
    }

    /// <summary>Null when <paramref name="name"/> is a valid DNS or route name; otherwise what is wrong.</summary>
    internal static string? CheckName(string name)
    {
        if (name.Length is < 1 or > 255)
        {
            return $"length {name.Length} (expected 1-255)";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"character '{c}' (expected letters, digits, '-', '_' or '.')";
            }
        }

        return null;
    }

    private static bool TryReadTlvs(ReadOnlySpan<byte> tlvs, out IPEndPoint? client, out string? reason)
    {
        client = null;
        reason = null;
        while (!tlvs.IsEmpty)
        {
            if (tlvs.Length < 2 || tlvs.Length < 2 + tlvs[1])
            {
                reason = "OPEN target TLV truncated";
                return false;
            }

            var type = tlvs[0];
            var value = tlvs.Slice(2, tlvs[1]);
            tlvs = tlvs[(2 + value.Length)..];
            if (type == ClientAddressTlv)
            {
                if (value.Length is not (6 or 18))
                {
                    reason = $"OPEN client address TLV of {value.Length} bytes (expected 6 or 18)";
                    return false;
                }

                client = new IPEndPoint(new IPAddress(value[..^2]), BinaryPrimitives.ReadUInt16BigEndian(value[^2..]));
            }
            else if (type % 2 == 0)
            {
                reason = $"OPEN target TLV type {type} is unknown and even (required)";
                return false;
            }
        }

        return true;
    }

    private static int AddressLength(IPAddress address) =>
        address.TryWriteBytes(stackalloc byte[16], out var written) ? written : 16;
}
