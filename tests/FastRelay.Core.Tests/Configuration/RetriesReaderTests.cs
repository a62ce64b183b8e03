using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

/// <summary><c>--retries N</c>: default 1, 0 turns retries off, anything else outside 0..10 is named with its range.</summary>
public sealed class RetriesReaderTests
{
    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    [Theory]
    [InlineData(null, 1)]
    [InlineData("0", 0)]
    [InlineData("3", 3)]
    [InlineData("10", 10)]
    public void Read_Retries_DefaultsToOnce_ZeroIsOff(string? value, int expected)
    {
        List<RawSetting> flags = [Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443,10.0.0.6:443")];
        if (value is not null)
        {
            flags.Add(Flag("retries", value));
        }

        Assert.Equal(expected, EdgeOptionsReader.Read(flags).Retries);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("once")]
    [InlineData("11")]
    public void Read_BadRetries_NamesTheFlagAndTheRange(string value)
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(
            [Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443"), Flag("retries", value)]));
        var line = Assert.Single(error.Errors).ToString();
        Assert.StartsWith($"--retries '{value}'", line, StringComparison.Ordinal);
        Assert.Contains("from 0 to 10", line, StringComparison.Ordinal);
    }
}
