using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class RateSyntaxTests
{
    [Theory]
    [InlineData("100/s", 100.0)]
    [InlineData("5000/m", 5000 / 60.0)]
    [InlineData("10/h", 10 / 3600.0)]
    [InlineData("0.5/s", 0.5)]
    [InlineData(" 7 / S ", 7.0)]
    [InlineData("0/s", 0.0)]
    [InlineData("0", 0.0)]
    public void TryParseRate_ValidText_ReturnsPerSecond(string text, double expected)
    {
        Assert.True(RateSyntax.TryParseRate(text, out var perSecond));
        Assert.Equal(expected, perSecond, 1e-12);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("100")]
    [InlineData("/s")]
    [InlineData("100/")]
    [InlineData("100/d")]
    [InlineData("100/sec")]
    [InlineData("100/s/s")]
    [InlineData("-1/s")]
    [InlineData("1e3/s")]
    [InlineData("1,000/s")]
    [InlineData("NaN/s")]
    [InlineData("Infinity/s")]
    [InlineData("abc/s")]
    public void TryParseRate_InvalidText_ReturnsFalse(string? text) =>
        Assert.False(RateSyntax.TryParseRate(text, out _));

    [Fact]
    public void TryParseRate_Overflow_ReturnsFalse() =>
        Assert.False(RateSyntax.TryParseRate(new string('9', 400) + "/s", out _));

    [Theory]
    [InlineData("10MiB/s", 10L << 20)]
    [InlineData("500KB/s", 500_000)]
    [InlineData("4096/s", 4096)]
    [InlineData("1 GiB / s", 1L << 30)]
    [InlineData("2mb/S", 2_000_000)]
    [InlineData("0", 0)]
    public void TryParseBandwidth_ValidText_ReturnsBytesPerSecond(string text, long expected)
    {
        Assert.True(RateSyntax.TryParseBandwidth(text, out var bytesPerSecond));
        Assert.Equal(expected, bytesPerSecond);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("10MiB")]
    [InlineData("10MiB/m")]
    [InlineData("/s")]
    [InlineData("-5/s")]
    [InlineData("10XB/s")]
    [InlineData("1.5MiB/s")]
    [InlineData("9223372036854775807GiB/s")]
    public void TryParseBandwidth_InvalidText_ReturnsFalse(string? text) =>
        Assert.False(RateSyntax.TryParseBandwidth(text, out _));

    [Fact]
    public void Expected_NamesTheSyntaxInTheErrorWordingOfValueSyntax()
    {
        Assert.StartsWith("a rate such as", RateSyntax.RateExpected, StringComparison.Ordinal);
        Assert.StartsWith("a bandwidth such as", RateSyntax.BandwidthExpected, StringComparison.Ordinal);
    }
}
