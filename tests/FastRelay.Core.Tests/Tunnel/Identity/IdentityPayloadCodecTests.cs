using System.Buffers;

namespace FastRelay.Tunnel.Identity;

public sealed class IdentityPayloadCodecTests
{
    [Fact]
    public void EncodeThenDecode_EveryField_RoundTrips()
    {
        var payload = new IdentityPayload("edge-1", [[1, 2, 3], [4, 5]], [9, 9, 9], 1_800_000_000, [0, 2, 0, 4, 0, 0, 1, 0]);
        Assert.True(IdentityPayloadCodec.TryDecode(IdentityPayloadCodec.Encode(payload), out var decoded, out var error), error);
        Assert.Equal("edge-1", decoded!.NodeName);
        Assert.Equal(2, decoded.CertificateChain.Count);
        Assert.Equal(new byte[] { 4, 5 }, decoded.CertificateChain[1]);
        Assert.Equal(new byte[] { 9, 9, 9 }, decoded.BindingSignature);
        Assert.Equal(1_800_000_000UL, decoded.BindingNotAfter);
        Assert.Equal(payload.Settings, decoded.Settings);
    }

    [Fact]
    public void Decode_Empty_IsAnEmptyIdentity()
    {
        Assert.True(IdentityPayloadCodec.TryDecode([], out var decoded, out _));
        Assert.Null(decoded!.NodeName);
        Assert.Empty(decoded.CertificateChain);
    }

    [Fact]
    public void Decode_UnknownOddType_IsIgnored()
    {
        var bytes = Items((0x41, [1, 2]), (0x01, "n"u8.ToArray()));
        Assert.True(IdentityPayloadCodec.TryDecode(bytes, out var decoded, out _));
        Assert.Equal("n", decoded!.NodeName);
    }

    public static TheoryData<string, byte[], string> Rejected() => new()
    {
        { "unknown even type", Items((0x40, [1])), "unknown identity TLV 0x40" },
        { "duplicate", Items((0x01, [65]), (0x01, [66])), "appears twice" },
        { "truncated header", [0, 1, 0], "truncated TLV header at offset 0" },
        { "length beyond end", [0, 1, 0, 5, 65], "claims 5 bytes, 1 remain" },
        { "not_after size", Items((0x06, [1, 2, 3])), "binding_not_after is 3 bytes, expected 8" },
        { "empty signature", Items((0x04, [])), "binding_sig is 0 bytes" },
        { "bad utf-8", Items((0x01, [0xff, 0xfe])), "node_name is not valid UTF-8" },
        { "control char", Items((0x01, [65, 10, 66])), "control characters" },
        { "long name", Items((0x01, Enumerable.Repeat((byte)65, 256).ToArray())), "node_name is 256 bytes" },
        { "empty chain", Items((0x02, [])), "cert_chain is empty" },
        { "cert past end", Items((0x02, [0, 9, 1])), "claims 9 bytes" },
        { "five certs", Items((0x02, [0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1])), "more than 4 certificates" },
        { "chain too big", Items((0x02, new byte[12 * 1024 + 1])), "cert_chain is 12289 bytes" },
        { "settings too big", Items((0x08, new byte[257])), "settings is 257 bytes" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Decode_Malformed_FailsNamingTheField(string label, byte[] bytes, string expected)
    {
        Assert.False(IdentityPayloadCodec.TryDecode(bytes, out _, out var error), label);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_EveryTruncation_FailsWithoutThrowing()
    {
        var bytes = IdentityPayloadCodec.Encode(new IdentityPayload("x", [[1, 2, 3]], [7], 5, [0, 2, 0, 4, 0, 0, 8, 0]));
        for (var length = 1; length < bytes.Length; length++)
        {
            IdentityPayloadCodec.TryDecode(bytes.AsSpan(0, length), out _, out _);
        }
    }

    [Fact]
    public void BindingMessage_HasLabelKeyExpiryAndRole()
    {
        var message = StaticKeyBinding.BuildMessage(new byte[32], 0x0102030405060708, StaticKeyBinding.ResponderRole);
        Assert.Equal("RTUN/1 static-key binding\0"u8.ToArray(), message[..26]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, message[58..66]);
        Assert.Equal((byte)'R', message[^1]);
        Assert.Throws<ArgumentException>(() => StaticKeyBinding.BuildMessage(new byte[32], 1, (byte)'X'));
    }

    private static byte[] Items(params (ushort Type, byte[] Value)[] items)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var (type, value) in items)
        {
            Tlv.Write(writer, type, value);
        }

        return writer.WrittenSpan.ToArray();
    }
}
