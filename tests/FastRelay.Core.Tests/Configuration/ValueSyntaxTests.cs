using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class ValueSyntaxTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("75s", 75_000)]
    [InlineData("5m", 300_000)]
    [InlineData("72h", 259_200_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    [InlineData(" 10s ", 10_000)]
    public void TryParseDuration_ValidText_ReturnsMilliseconds(string text, long expectedMs)
    {
        Assert.True(ValueSyntax.TryParseDuration(text, out var value));
        Assert.Equal(expectedMs, (long)value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("-1s")]
    [InlineData("s")]
    [InlineData("5 days")]
    [InlineData("1e9h")]
    [InlineData(null)]
    public void TryParseDuration_InvalidText_ReturnsFalse(string? text) =>
        Assert.False(ValueSyntax.TryParseDuration(text, out _));

    [Theory]
    [InlineData("4096", 4096)]
    [InlineData("64KiB", 65_536)]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("2gib", 2_147_483_648)]
    [InlineData("10KB", 10_000)]
    [InlineData("7B", 7)]
    public void TryParseSize_ValidText_ReturnsBytes(string text, long expected)
    {
        Assert.True(ValueSyntax.TryParseSize(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("KiB")]
    [InlineData("-5")]
    [InlineData("5XB")]
    [InlineData("99999999999999999999")]
    [InlineData("9223372036854775807GiB")]
    public void TryParseSize_InvalidText_ReturnsFalse(string text) =>
        Assert.False(ValueSyntax.TryParseSize(text, out _));

    [Theory]
    [InlineData(250, "250ms")]
    [InlineData(75_000, "75s")]
    [InlineData(600_000, "10m")]
    [InlineData(7_200_000, "2h")]
    public void FormatDuration_RoundTrips(long ms, string expected)
    {
        var text = ValueSyntax.FormatDuration(TimeSpan.FromMilliseconds(ms));
        Assert.Equal(expected, text);
        Assert.True(ValueSyntax.TryParseDuration(text, out var back));
        Assert.Equal(ms, (long)back.TotalMilliseconds);
    }
}
