using FastRelay.Filtering;
using static FastRelay.Core.Tests.Filtering.PolicyTestData;

namespace FastRelay.Core.Tests.Filtering;

/// <summary>Time windows at their edges, across midnight and across daylight-saving changes.</summary>
public sealed class TimeWindowTests
{
    [Theory]
    [InlineData("2025-06-02T08:00:00+08:00", true)]   // Monday, the start is inclusive.
    [InlineData("2025-06-02T07:59:59+08:00", false)]
    [InlineData("2025-06-02T19:59:59+08:00", true)]
    [InlineData("2025-06-02T20:00:00+08:00", false)]  // The end is exclusive.
    [InlineData("2025-06-07T10:00:00+08:00", false)]  // Saturday.
    [InlineData("2025-06-02T01:00:00+00:00", true)]   // 09:00 in Shanghai, written in UTC.
    [InlineData("2025-06-01T23:30:00-01:00", true)]   // Sunday in UTC-1, but 08:30 Monday in Shanghai.
    public void Window_OfficeHoursInShanghai(string at, bool allowed)
    {
        var policy = Policy("""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Days": "Mon-Fri", "Start": "08:00", "End": "20:00", "TimeZone": "Asia/Shanghai"}, "Action": "Allow"}""");
        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))).IsAllowed);
    }

    [Theory]
    [InlineData("2025-06-06T22:00:00Z", true)]   // Friday evening, at the start.
    [InlineData("2025-06-06T23:59:00Z", true)]
    [InlineData("2025-06-07T00:00:00Z", true)]   // Saturday early hours belong to Friday's window.
    [InlineData("2025-06-07T05:59:00Z", true)]
    [InlineData("2025-06-07T06:00:00Z", false)]
    [InlineData("2025-06-06T05:00:00Z", false)]  // Friday early hours belong to Thursday, which is not listed.
    [InlineData("2025-06-07T22:30:00Z", false)]  // Saturday evening starts a window on a day not listed.
    public void Window_AcrossMidnight_BelongsToTheDayItStarts(string at, bool allowed)
    {
        var policy = Policy("""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Days": "Fri", "Start": "22:00", "End": "06:00", "TimeZone": "UTC"}, "Action": "Allow"}""");

        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))).IsAllowed);
    }

    [Theory]
    [InlineData("2025-06-07T03:00:00Z", true)]   // Start 24:00 on Friday is midnight going into Saturday: still accepted.
    [InlineData("2025-06-06T03:00:00Z", false)]
    public void Window_StartingAt2400_RunsFromThatMidnight(string at, bool allowed)
    {
        var policy = Policy("""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Days": "Fri", "Start": "24:00", "End": "06:00", "TimeZone": "UTC"}, "Action": "Allow"}""");

        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))).IsAllowed);
    }

    [Theory]
    [InlineData("2025-03-09T12:30:00Z", true)]   // 08:30 EDT, the day clocks went forward: wall time counts.
    [InlineData("2025-03-08T13:30:00Z", true)]   // 08:30 EST the day before.
    [InlineData("2025-03-08T12:30:00Z", false)]  // 07:30 EST.
    [InlineData("2025-11-02T13:30:00Z", true)]   // 08:30 EST, the day clocks went back.
    [InlineData("2025-11-02T12:30:00Z", false)]  // 07:30 EST.
    public void Window_FollowsWallClockAcrossDaylightSaving(string at, bool allowed)
    {
        var policy = Policy("""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Start": "08:00", "End": "09:00", "TimeZone": "America/New_York"}, "Action": "Allow"}""");

        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))).IsAllowed);
    }

    [Theory]
    [InlineData("Sat,Sun", "2025-06-08T12:00:00Z", true)]
    [InlineData("Sat,Sun", "2025-06-09T12:00:00Z", false)]
    [InlineData("Fri-Mon", "2025-06-09T12:00:00Z", true)]   // A day range may wrap over the weekend.
    [InlineData("Fri-Mon", "2025-06-10T12:00:00Z", false)]
    [InlineData("monday", "2025-06-09T23:59:00Z", true)]    // Days only: the whole day, in UTC by default.
    [InlineData("*", "2025-06-10T12:00:00Z", true)]
    public void Window_DaysOnly_CoversWholeDays(string days, string at, bool allowed)
    {
        var policy = Policy($$"""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Days": "{{days}}"}, "Action": "Allow"}""");

        Assert.Equal(allowed, Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture))).IsAllowed);
    }

    [Fact]
    public void Window_EndAt2400_CoversTheLastMinute()
    {
        var policy = Policy("""{"SourceIP": "0.0.0.0/0", "TimeWindow": {"Start": "20:00", "End": "24:00"}, "Action": "Allow"}""");

        Assert.True(Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: new DateTimeOffset(2025, 6, 2, 23, 59, 59, TimeSpan.Zero))).IsAllowed);
        Assert.False(Decide(policy, Request("10.0.0.1", "10.0.0.2", 443, at: new DateTimeOffset(2025, 6, 3, 0, 0, 0, TimeSpan.Zero))).IsAllowed);
    }

    [Fact]
    public void TimeZones_ResolveUnderInvariantGlobalization()
    {
        // Directory.Build.props turns on InvariantGlobalization; zones come from tzdata, not ICU.
        Assert.True(TimeWindowSyntax.TryFindZone("Asia/Shanghai", out var zone));
        Assert.Equal(TimeSpan.FromHours(8), zone.BaseUtcOffset);
    }
}
