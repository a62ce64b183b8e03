using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace FastRelay.Tunnel.Identity;

/// <summary>
/// Encodes and decodes <see cref="IdentityPayload"/> (docs/PROTOCOL.md "Identity payload"). Decoding is strict: each
/// known type at most once, exact sizes, the limits below, unknown even types fatal. The input has already been
/// authenticated by the Noise handshake, but it comes from a peer that is not yet trusted, so every length is checked.
/// </summary>
internal static class IdentityPayloadCodec
{
    public const ushort NodeNameType = 0x01;
    public const ushort CertificateChainType = 0x02;
    public const ushort BindingSignatureType = 0x04;
    public const ushort BindingNotAfterType = 0x06;
    public const ushort SettingsType = 0x08;

    /// <summary>At most 4 certificates (leaf, intermediates): enough for any enterprise PKI, bounded work.</summary>
    public const int MaxCertificates = 4;

    /// <summary>The whole cert_chain value: 12 KiB.</summary>
    public const int MaxCertificateChainBytes = 12 * 1024;

    /// <summary>node_name: 255 bytes of UTF-8.</summary>
    public const int MaxNodeNameBytes = 255;

    /// <summary>binding_sig: 512 bytes covers RSA-4096 (and ECDSA P-384's 96).</summary>
    public const int MaxSignatureBytes = 512;

    /// <summary>settings: 256 bytes (7 settings are 60).</summary>
    public const int MaxSettingsBytes = 256;

    /// <summary>The payload bytes.</summary>
    public static byte[] Encode(IdentityPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var writer = new ArrayBufferWriter<byte>(1024);
        if (payload.NodeName is { } name)
        {
            Tlv.Write(writer, NodeNameType, Encoding.UTF8.GetBytes(name));
        }

        if (payload.CertificateChain.Count > 0)
        {
            var chain = new ArrayBufferWriter<byte>(4096);
            foreach (var der in payload.CertificateChain)
            {
                var span = chain.GetSpan(2 + der.Length);
                BinaryPrimitives.WriteUInt16BigEndian(span, checked((ushort)der.Length));
                der.CopyTo(span[2..]);
                chain.Advance(2 + der.Length);
            }

            Tlv.Write(writer, CertificateChainType, chain.WrittenSpan);
        }

        if (payload.BindingSignature is { } signature)
        {
            Tlv.Write(writer, BindingSignatureType, signature);
        }

        if (payload.BindingNotAfter is { } notAfter)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, notAfter);
            Tlv.Write(writer, BindingNotAfterType, bytes);
        }

        if (payload.Settings is { } settings)
        {
            Tlv.Write(writer, SettingsType, settings);
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a payload; false with an error that names the field and what was expected.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> input, out IdentityPayload? payload, out string? error)
    {
        payload = null;
        string? name = null;
        byte[]? signature = null, settings = null;
        ulong? notAfter = null;
        List<byte[]>? chain = null;
        var seen = new HashSet<ushort>();
        var total = input.Length;
        while (!input.IsEmpty)
        {
            var offset = total - input.Length;
            if (!Tlv.TryRead(ref input, offset, out var type, out var value, out error))
            {
                return false;
            }

            if (!seen.Add(type))
            {
                error = $"identity TLV 0x{type:x2} appears twice";
                return false;
            }

            error = type switch
            {
                NodeNameType => TryNodeName(value, out name),
                CertificateChainType => TryChain(value, out chain),
                BindingSignatureType => TryBytes(value, "binding_sig", MaxSignatureBytes, out signature),
                BindingNotAfterType => TryNotAfter(value, out notAfter),
                SettingsType => TryBytes(value, "settings", MaxSettingsBytes, out settings),
                _ when Tlv.IsIgnorable(type) => null,
                _ => $"unknown identity TLV 0x{type:x2} (even types must be understood)",
            };
            if (error is not null)
            {
                return false;
            }
        }

        payload = new IdentityPayload(name, (IReadOnlyList<byte[]>?)chain ?? [], signature, notAfter, settings);
        error = null;
        return true;
    }

    private static string? TryNodeName(ReadOnlySpan<byte> value, out string? name)
    {
        name = null;
        if (value.Length > MaxNodeNameBytes)
        {
            return $"node_name is {value.Length} bytes, at most {MaxNodeNameBytes}";
        }

        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return "node_name is not valid UTF-8";
        }

        // Log injection: the name goes into log lines, so no control characters.
        return name.Any(char.IsControl) ? "node_name contains control characters" : null;
    }

    private static string? TryChain(ReadOnlySpan<byte> value, out List<byte[]>? chain)
    {
        chain = null;
        if (value.Length > MaxCertificateChainBytes)
        {
            return $"cert_chain is {value.Length} bytes, at most {MaxCertificateChainBytes}";
        }

        var list = new List<byte[]>();
        while (!value.IsEmpty)
        {
            if (value.Length < 2)
            {
                return "cert_chain: truncated certificate length";
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(value);
            if (length == 0 || value.Length - 2 < length)
            {
                return $"cert_chain: certificate {list.Count} claims {length} bytes, {value.Length - 2} remain";
            }

            if (list.Count == MaxCertificates)
            {
                return $"cert_chain has more than {MaxCertificates} certificates";
            }

            list.Add(value.Slice(2, length).ToArray());
            value = value[(2 + length)..];
        }

        if (list.Count == 0)
        {
            return "cert_chain is empty";
        }

        chain = list;
        return null;
    }

    private static string? TryBytes(ReadOnlySpan<byte> value, string field, int max, out byte[]? bytes)
    {
        bytes = null;
        if (value.IsEmpty || value.Length > max)
        {
            return $"{field} is {value.Length} bytes, expected 1..{max}";
        }

        bytes = value.ToArray();
        return null;
    }

    private static string? TryNotAfter(ReadOnlySpan<byte> value, out ulong? notAfter)
    {
        notAfter = null;
        if (value.Length != 8)
        {
            return $"binding_not_after is {value.Length} bytes, expected 8";
        }

        notAfter = BinaryPrimitives.ReadUInt64BigEndian(value);
        return null;
    }
}
