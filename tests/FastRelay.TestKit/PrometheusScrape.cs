using System.Globalization;

namespace FastRelay.TestKit;

/// <summary>Reads sample values out of a Prometheus text scrape, for tests of the metrics.</summary>
public static class PrometheusScrape
{
    /// <summary>The value of the sample line that starts with <paramref name="series"/>; -1 when absent.</summary>
    public static long Value(string scrape, string series)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
