using System.Net;
using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class EdgeOptionsReaderTests
{
    private static RawSetting Flag(string name, string value) => new(name, value, "--" + name);

    [Fact]
    public void Read_RecheckEstablishedWithoutPolicy_IsListedAsIgnored()
    {
        var options = EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:0"), Flag("route", "svc=127.0.0.1:9"), Flag("recheck-established", "true")]);
        Assert.Contains("--recheck-established 'true': has no effect without --policy", Assert.Single(options.Ignored).ToString(), StringComparison.Ordinal);
        Assert.Empty(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:0"), Flag("route", "svc=127.0.0.1:9"), Flag("recheck-established", "true"), Flag("policy", "p.json")]).Ignored);
    }

    [Fact]
    public void Read_MinimalFlags_AppliesDefaults()
    {
        var options = EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443")]);

        var listener = Assert.Single(options.Listeners);
        Assert.Equal("crm", listener.Service); // The only route is the default service.
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), listener.EndPoint);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IdleTimeout);
        Assert.Equal(10_000, options.MaxConnections);
        Assert.Equal(65_536, options.BufferBytes);
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("0", 0)]
    [InlineData("100", 100)]
    public void Read_MaxConnectionsPerSource_OffByDefault_ZeroIsOff(string? value, int expected)
    {
        List<RawSetting> flags = [Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443")];
        if (value is not null)
        {
            flags.Add(Flag("max-connections-per-source", value));
        }

        Assert.Equal(expected, EdgeOptionsReader.Read(flags).MaxConnectionsPerSource);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("1000001")]
    public void Read_BadMaxConnectionsPerSource_NamesTheFlagAndTheRange(string value)
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(
            [Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443"), Flag("max-connections-per-source", value)]));
        var line = Assert.Single(error.Errors).ToString();
        Assert.StartsWith($"--max-connections-per-source '{value}'", line, StringComparison.Ordinal);
        Assert.Contains("from 0 to 1000000", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "127.0.0.1:8080", true)]
    [InlineData("0.0.0.0:8080", "127.0.0.1:8080", true)] // A wildcard listener holds the port on every address.
    [InlineData("127.0.0.2:8080", "[::]:8080", true)]
    [InlineData("127.0.0.2:8080", "127.0.0.1:8080", false)] // Two addresses, one port: both bind.
    [InlineData("127.0.0.1:8081", "127.0.0.1:8080", false)]
    [InlineData("127.0.0.1:0", "127.0.0.1:0", false)] // Port 0: each gets a free port of its own.
    public void Read_AdminOnAListenersAddress_IsAConfigError_NotABindFailureAtStart(string admin, string listen, bool conflict)
    {
        List<RawSetting> flags = [Flag("listen", listen), Flag("route", "crm=10.0.0.5:443"), Flag("admin", admin)];
        if (!conflict)
        {
            Assert.Equal(admin, EdgeOptionsReader.Read(flags).Admin!.ToString());
            return;
        }

        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(flags));
        Assert.StartsWith($"--admin '{admin}': the same address as --listen", Assert.Single(error.Errors).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("OFF")]
    public void Read_AdminOff_InAnyCase(string value) =>
        Assert.Null(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:8080"), Flag("route", "crm=10.0.0.5:443"), Flag("admin", value)]).Admin);

    [Fact]
    public void Read_AListenerOnTheAdminDefault_SaysWhichDefault()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:9901"), Flag("route", "crm=10.0.0.5:443")]));
        Assert.Contains("--admin: its default 127.0.0.1:9901 is the address of --listen 127.0.0.1:9901", Assert.Single(error.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ServicesTargetsWeightsAndIPv6_AreParsed()
    {
        var options = EdgeOptionsReader.Read(
        [
            Flag("listen", "crm@[::1]:8443"), Flag("listen", "tickets@0.0.0.0:9000"),
            Flag("route", "crm=crm-a.internal:443;weight=4,[fd00::7]:443"), Flag("route", "tickets=10.0.0.9:80"),
            Flag("idle-timeout", "0"), Flag("log-level", "Debug"), Flag("log-format", "json"),
        ]);

        Assert.Equal(["crm", "tickets"], options.Listeners.Select(l => l.Service));
        var crm = options.Routes.Single(r => r.Service == "crm");
        Assert.Equal(new TargetOptions("crm-a.internal", 443, 4), crm.Targets[0]);
        Assert.Equal(new TargetOptions("fd00::7", 443, 1), crm.Targets[1]);
        Assert.Equal("[fd00::7]:443", crm.Targets[1].ToString());
        Assert.Equal(TimeSpan.Zero, options.IdleTimeout);
        Assert.Equal(LogFormat.Json, options.Log.Format);
    }

    [Fact]
    public void Read_ManyBadValues_ListsEveryErrorWithItsFlag()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(
        [
            Flag("listen", "nope"), Flag("route", "crm=10.0.0.5"), Flag("connect-timeout", "5"),
            Flag("max-connections", "-1"), Flag("buffer-size", "1KiB"), Flag("log-level", "loud"),
            Flag("bogus", "x"), Flag("backlog", "1"), Flag("backlog", "2"),
        ]));

        var lines = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(lines, l => l.StartsWith("--listen 'nope'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--route 'crm=10.0.0.5'", StringComparison.Ordinal) && l.Contains("HOST:PORT", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--connect-timeout '5'", StringComparison.Ordinal) && l.Contains("duration", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--max-connections '-1'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--buffer-size '1KiB'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--log-level 'loud'", StringComparison.Ordinal) && l.Contains("debug", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--bogus 'x'", StringComparison.Ordinal) && l.Contains("unknown", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("--backlog '2'", StringComparison.Ordinal) && l.Contains("more than once", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:80", "a=1.1.1.1:1,b=x", "target 'b=x'")]
    [InlineData("127.0.0.1:80", "a=host:0", "port must be")]
    [InlineData("127.0.0.1:80", "a=host:1;weight=0", "weight")]
    [InlineData("127.0.0.1:80", "a=tunnel:api.example:443", "route 'a' has tunnel: targets, which need at least one gateway")]
    [InlineData("127.0.0.1:80", "bad name=h:1", "service name")]
    [InlineData("x@127.0.0.1:80", "a=h:1", "no --route for service 'x'")]
    [InlineData("crm.internal:80", "a=h:1", "IP literal")]
    [InlineData("::1:80", "a=h:1", "brackets")]
    [InlineData("127.0.0.1:70000", "a=h:1", "port must be")]
    [InlineData("127.0.0.1:80", "a=tunnel:b\u00fccher.example:443", "a tunnel target's name takes ASCII letters, digits, '-', '_' and '.' only")]
    public void Read_BadListenOrRoute_SaysWhatWasExpected(string listen, string route, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", listen), Flag("route", route)]));
        Assert.Contains(error.Errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("idle-timeout")]
    [InlineData("audit-flush-timeout")]
    [InlineData("drain-timeout")]
    public void Read_DurationLongerThanATimerTakes_IsRefused(string flag)
    {
        // .NET's timed waits refuse more than 49.7 days with an exception (at shutdown, for --audit-flush-timeout).
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", "a@127.0.0.1:80"), Flag("route", "a=h:1"), Flag(flag, "2000h")]));
        Assert.Contains(error.Errors, e => e.ToString() == $"--{flag} '2000h': expected a duration such as 250ms, 75s, 5m or 72h, at most 1176h (49 days)");
        Assert.NotNull(EdgeOptionsReader.Read([Flag("listen", "a@127.0.0.1:80"), Flag("route", "a=h:1"), Flag(flag, "1176h")]));
    }

    [Fact]
    public void Read_ARouteHostLongerThanDnsAllows_IsRefused_ThoughEachLabelIsValid()
    {
        // Five 60-character labels: Uri.CheckHostName accepts it, the resolver throws for it (the health probe's loop died).
        var host = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", $"a={host}:443")]));
        Assert.Contains(error.Errors, e => e.ToString().Contains("a DNS name is at most 253 characters (RFC 1035)", StringComparison.Ordinal));

        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('a', 61); // 253.
        Assert.NotNull(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", $"a={longest}:443")]));
        Assert.NotNull(EdgeOptionsReader.Read([Flag("listen", "127.0.0.1:80"), Flag("route", $"a={longest}.:443")])); // Fully qualified.
    }

    [Fact]
    public void Read_RouteWithSeveralBadTargets_NamesEach_AndTheListenerIsNotBlamed()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([Flag("listen", "a@127.0.0.1:1"), Flag("route", "a=10.0.0.1:99999,nohost,10.0.0.2:80,10.0.0.3")]));

        var line = Assert.Single(error.Errors).ToString();
        Assert.StartsWith("--route 'a=10.0.0.1:99999,nohost,10.0.0.2:80,10.0.0.3': target '10.0.0.1:99999': port must be", line, StringComparison.Ordinal);
        Assert.Contains("; target 'nohost': ", line, StringComparison.Ordinal);
        Assert.Contains("; target '10.0.0.3': ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.2:80'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ListenWithoutServiceAndSeveralRoutes_AsksToNameTheService()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(
            [Flag("listen", "127.0.0.1:80"), Flag("route", "a=h:1"), Flag("route", "b=h:2")]));
        Assert.Contains("SERVICE@127.0.0.1:80", Assert.Single(error.Errors).Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NothingGiven_AsksForListenAndRoute()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([]));
        Assert.Equal(["--listen", "--route"], error.Errors.Select(e => e.Path));
    }

    [Fact]
    public void Read_DuplicateRouteOrListener_IsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read(
        [
            Flag("listen", "127.0.0.1:80"), Flag("listen", "127.0.0.1:80"),
            Flag("route", "a=h:1"), Flag("route", "a=h:2"),
        ]));
        Assert.Equal(2, error.Errors.Count);
    }
}
