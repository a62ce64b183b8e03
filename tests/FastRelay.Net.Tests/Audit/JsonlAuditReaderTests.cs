using System.Text.Json;
using FastRelay.Audit;
using FastRelay.Audit.Query;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// <c>audit query</c> on a JSONL file: the newest --limit records, each once, newest first, whatever the order and the
/// duplicates in the file (it keeps only --limit of them while reading, so a large file costs no more memory).
/// </summary>
public sealed class JsonlAuditReaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fastrelay-audit-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(10)]
    [InlineData(1)]
    [InlineData(5000)] // More than the file holds.
    public void TheNewestRecords_EachOnce_NewestFirst(int limit)
    {
        var start = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(1, 2000).Select(i => AuditRecords.Sample(i, start.AddSeconds(i % 700))).ToArray(); // Ties on time.
        var shuffled = records.Concat(records.Where((_, i) => i % 3 == 0)).OrderBy(_ => Random.Shared.Next()).ToArray(); // Duplicates.
        using (var file = File.CreateText(_path))
        {
            file.WriteLine("not a record");
            foreach (var record in shuffled)
            {
                file.WriteLine(Json(record));
            }
        }

        var read = new JsonlAuditReader(_path).Query(new AuditQuery { Limit = limit });

        var expected = records.OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.RecordId).Take(limit).Select(r => r.RecordId);
        Assert.Equal(expected, read.Select(r => r.Record.RecordId));
    }

    [Fact]
    public void ALineLongerThanARecordCanBe_IsSkipped_AndTheRecordsAroundItAreRead()
    {
        // File.ReadLines held each line whole: a file with gigabytes between two newlines ended `audit query` in an
        // OutOfMemoryException. A line over AuditJson.MaxLineBytes is now skipped without being held.
        var start = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var records = new[] { AuditRecords.Sample(1, start), AuditRecords.Sample(2, start.AddSeconds(1)) };
        File.WriteAllText(_path, $"{Json(records[0])}\n{new string('x', AuditJson.MaxLineBytes + 1)}\n{Json(records[1])}\n");

        var read = new JsonlAuditReader(_path).Query(new AuditQuery { Limit = 10 });

        Assert.Equal([records[1].RecordId, records[0].RecordId], read.Select(r => r.Record.RecordId));
    }

    [Fact]
    public void SinkAfterAWriteCutShort_StartsANewLine_TheNextRecordIsRead()
    {
        // A full disk cut the last write mid-line: the sink reopens and must not glue the next record onto the fragment.
        var start = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var records = new[] { AuditRecords.Sample(1, start), AuditRecords.Sample(2, start.AddSeconds(1)) };
        var first = Json(records[0]);
        File.WriteAllText(_path, $"{first}\n{first[..(first.Length / 2)]}");

        using (var sink = AuditSinks.Create(new AuditTarget(AuditSinkKind.Jsonl, _path)))
        {
            sink.Write([records[1]]);
        }

        var read = new JsonlAuditReader(_path).Query(new AuditQuery { Limit = 10 });
        Assert.Equal([records[1].RecordId, records[0].RecordId], read.Select(r => r.Record.RecordId));
        Assert.EndsWith("\n", File.ReadAllText(_path), StringComparison.Ordinal);
    }

    [Fact]
    public void DevZero_HasNoRecords_AndIsNotReadForever() =>
        Assert.Empty(new JsonlAuditReader("/dev/zero").Query(new AuditQuery { Limit = 10 }));

    private static string Json(AuditRecord record)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            AuditJson.Write(json, record);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
