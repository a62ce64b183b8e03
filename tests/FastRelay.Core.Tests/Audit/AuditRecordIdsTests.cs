using FastRelay.Audit;

namespace FastRelay.Core.Tests.Audit;

/// <summary>Record ids are UUIDv7: unique, in time order as text, separated by the instance tag.</summary>
public sealed class AuditRecordIdsTests
{
    [Fact]
    public void Next_ManyInTheSameMillisecondAndLater_UniqueAndSortedAsText()
    {
        var ids = new AuditRecordIds(0xABCDEF01);
        var start = new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);
        var made = Enumerable.Range(0, 5000).Select(i => ids.Next(start.AddMilliseconds(i / 100))).Select(g => g.ToString()).ToList();

        Assert.Equal(made.Count, made.Distinct().Count());
        Assert.Equal(made.Order(StringComparer.Ordinal), made);
    }

    [Fact]
    public void Next_HasVersion7_Variant10_TimeAndInstance()
    {
        var at = new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);
        var text = new AuditRecordIds(0x01020304).Next(at).ToString("N");

        Assert.Equal('7', text[12]);
        Assert.Contains(text[16], "89ab");
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(text[..12], 16));
        Assert.EndsWith("01020304", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_TwoInstancesAtTheSameTime_Differ()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        Assert.NotEqual(new AuditRecordIds(1).Next(at), new AuditRecordIds(2).Next(at));
    }
}
