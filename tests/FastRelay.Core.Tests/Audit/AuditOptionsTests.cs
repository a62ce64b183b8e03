using FastRelay.Audit;
using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Audit;

/// <summary>The --audit flags: every form of the target, defaults, and an error for each bad value.</summary>
public sealed class AuditOptionsTests
{
    [Theory]
    [InlineData("off", AuditSinkKind.Off, "")]
    [InlineData("Off", AuditSinkKind.Off, "")] // Any case, as --admin OFF and --revocation OFF.
    [InlineData("sqlite:fastrelay-audit.db", AuditSinkKind.Sqlite, "fastrelay-audit.db")]
    [InlineData("sqlite:/var/lib/fastrelay/a:b.db", AuditSinkKind.Sqlite, "/var/lib/fastrelay/a:b.db")]
    [InlineData("jsonl:/var/log/audit.jsonl", AuditSinkKind.Jsonl, "/var/log/audit.jsonl")]
    [InlineData("postgres:Host=db;Username=relay;Database=audit", AuditSinkKind.Postgres, "Host=db;Username=relay;Database=audit")]
    public void TryParse_ValidTargets(string text, AuditSinkKind kind, string location)
    {
        Assert.True(AuditTarget.TryParse(text, out var target, out _));
        Assert.Equal(new AuditTarget(kind, location), target);
    }

    [Theory]
    [InlineData("")]
    [InlineData("on")]
    [InlineData("mysql:db")]
    [InlineData("sqlite:")]
    [InlineData("jsonl: ")]
    [InlineData("postgres:db.example")]
    [InlineData("fastrelay-audit.db")]
    public void TryParse_Invalid_SaysWhatIsExpected(string text)
    {
        Assert.False(AuditTarget.TryParse(text, out _, out var error));
        Assert.Contains("expect", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_MasksThePassword()
    {
        Assert.True(AuditTarget.TryParse("postgres:Host=db;Password=hunter2;Database=a", out var target, out _));
        Assert.Equal("postgres:Host=db;Password=***;Database=a", target!.ToString());
    }

    [Fact]
    public void Read_NoAuditFlags_DefaultsToSqliteInTheWorkingDirectory()
    {
        var options = EdgeOptionsReader.Read(Base());
        Assert.Equal(AuditTarget.Default, options.Audit.Target);
        Assert.Equal("fastrelay-audit.db", options.Audit.Target.Location);
        Assert.Equal(AuditOverflow.Spool, options.Audit.Overflow);
        Assert.Equal(65_536, options.Audit.QueueCapacity);
        Assert.Null(options.Audit.Node);
        Assert.Equal("fastrelay-audit-spool", options.Audit.SpoolDirectory);
    }

    [Fact]
    public void Read_AllAuditFlags()
    {
        var options = EdgeOptionsReader.Read([.. Base(), S("audit", "jsonl:/tmp/a.jsonl"), S("audit-node", "edge-3"), S("audit-spool", "/var/spool/fr"),
            S("audit-queue", "1024"), S("audit-overflow", "drop"), S("audit-flush-timeout", "2s")]);
        Assert.Equal(new AuditTarget(AuditSinkKind.Jsonl, "/tmp/a.jsonl"), options.Audit.Target);
        Assert.Equal("edge-3", options.Audit.Node);
        Assert.Equal("/var/spool/fr", options.Audit.SpoolDirectory);
        Assert.Equal(1024, options.Audit.QueueCapacity);
        Assert.Equal(AuditOverflow.Drop, options.Audit.Overflow);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Audit.FlushTimeout);
    }

    [Fact]
    public void Read_BadAuditFlags_EveryOneListed()
    {
        var ex = Assert.Throws<ConfigException>(() => EdgeOptionsReader.Read([.. Base(), S("audit", "mongo:x"), S("audit-node", "two words"),
            S("audit-queue", "-1"), S("audit-overflow", "ignore"), S("audit-flush-timeout", "later")]));
        var text = string.Join("\n", ex.Errors);
        foreach (var flag in new[] { "--audit 'mongo:x'", "--audit-node 'two words'", "--audit-queue '-1'", "--audit-overflow 'ignore'", "--audit-flush-timeout 'later'" })
        {
            Assert.Contains(flag, text, StringComparison.Ordinal);
        }
    }

    private static List<RawSetting> Base() => [S("listen", "127.0.0.1:0"), S("route", "svc=127.0.0.1:9")];

    private static RawSetting S(string name, string value) => new(name, value, "--" + name);
}
