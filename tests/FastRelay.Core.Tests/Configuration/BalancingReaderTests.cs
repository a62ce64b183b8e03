using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class BalancingReaderTests
{
    [Fact]
    public void Read_NoFlags_Defaults()
    {
        var options = Read().Balancing;
        Assert.Equal(HealthCheckKind.Off, options.HealthCheck);
        Assert.Equal(TimeSpan.FromSeconds(2), options.HealthInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.HealthTimeout);
        Assert.Equal((2, 3, 3), (options.HealthRise, options.HealthFall, options.EjectAfter));
        Assert.Equal(TimeSpan.FromSeconds(10), options.EjectTime);
    }

    [Fact]
    public void Read_AllFlags_AreRead()
    {
        var options = Read(("health-check", "tcp"), ("health-interval", "500ms"), ("health-timeout", "250ms"), ("health-rise", "1"), ("health-fall", "2"),
            ("health-send", @"PING\r\n"), ("health-expect", "+PONG"), ("eject-after", "0"), ("eject-time", "30s")).Balancing;
        Assert.Equal(HealthCheckKind.Tcp, options.HealthCheck);
        Assert.Equal("PING\r\n"u8.ToArray(), options.HealthSend);
        Assert.Equal("+PONG"u8.ToArray(), options.HealthExpect);
        Assert.Equal(0, options.EjectAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), options.EjectTime);
    }

    [Fact]
    public void Read_BadValues_EveryErrorListed()
    {
        var ex = Assert.Throws<ConfigException>(() => Read(("health-check", "http"), ("health-rise", "0"), ("eject-after", "-1"), ("eject-time", "10m"), ("health-send", @"bad\q")));
        var text = string.Join("\n", ex.Errors);
        Assert.Contains("--health-check", text, StringComparison.Ordinal);
        Assert.Contains("--health-rise", text, StringComparison.Ordinal);
        Assert.Contains("--eject-after", text, StringComparison.Ordinal);
        Assert.Contains("at most 5m", text, StringComparison.Ordinal);
        Assert.Contains(@"unknown escape '\q'", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HealthFlagsWithoutHealthCheck_AreErrors()
    {
        var ex = Assert.Throws<ConfigException>(() => Read(("health-expect", "OK")));
        Assert.Contains("needs --health-check tcp", string.Join("\n", ex.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(@"a\r\n", new byte[] { (byte)'a', 13, 10 })]
    [InlineData(@"\x00\xff\\", new byte[] { 0, 255, (byte)'\\' })]
    [InlineData(@"\t\0", new byte[] { 9, 0 })]
    [InlineData("é", new byte[] { 0xC3, 0xA9 })]
    public void EscapeSyntax_Decodes(string text, byte[] expected)
    {
        Assert.True(EscapeSyntax.TryDecode(text, out var bytes, out _));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData(@"abc\")]
    [InlineData(@"\x4")]
    [InlineData(@"\xZZ")]
    public void EscapeSyntax_Bad_Refused(string text) => Assert.False(EscapeSyntax.TryDecode(text, out _, out _));

    private static EdgeOptions Read(params (string Name, string Value)[] flags) => EdgeOptionsReader.Read(
        [new("listen", "127.0.0.1:0", "test"), new("route", "svc=127.0.0.1:1", "test"), .. flags.Select(f => new RawSetting(f.Name, f.Value, "--" + f.Name))]);
}
