namespace FastRelay.Tunnel.Handshake;

public sealed class TunnelAuthenticationTests
{
    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryParseKey_Malformed_NamesTheValue(string text)
    {
        Assert.False(TunnelAuthentication.TryParseKey(text, out _, out var error));
        Assert.Equal($"'{text}' is not a tunnel public key (expected base64 of 32 bytes, as printed by 'fastrelay keygen')", error);
    }

    [Fact]
    public void TryParseKey_Base64Of32Bytes_Parses()
    {
        var text = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        Assert.True(TunnelAuthentication.TryParseKey(text, out var key, out _));
        Assert.Equal(32, key.Length);
        Assert.Equal(31, key[31]);
    }

    [Fact]
    public void SettingsCodec_RoundTripsAndRejectsOutOfRange()
    {
        var settings = new TunnelSettings(4096, 1, 2, 100, 255, 1, 259_200);
        Assert.True(TunnelSettingsCodec.TryDecode(TunnelSettingsCodec.Encode(settings), out var decoded, out _));
        Assert.Equal(settings, decoded);
        Assert.False(TunnelSettingsCodec.TryDecode([0, 0x0A, 0, 1, 0], out _, out var error));
        Assert.Equal("settings: ping_miss_limit must be in 1..255 (got 0)", error);
        Assert.False(TunnelSettingsCodec.TryDecode([0, 0x10, 0, 0], out _, out error));
        Assert.Equal("settings: unknown TLV 0x10 (even types must be understood)", error);
        Assert.True(TunnelSettingsCodec.TryDecode([0, 0x11, 0, 0], out decoded, out _));
        Assert.Equal(new TunnelSettings(), decoded);
        Assert.False(TunnelSettingsCodec.TryDecode([0, 0x02, 0, 4, 0x80, 0, 0, 0], out _, out error));
        Assert.Equal("settings: TLV 0x02 value 2147483648 exceeds 2^31-1", error);
    }
}
