using System.Text;
using FastRelay.Audit;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// The spool keeps records while the database is down: in order, across restarts, and a torn or corrupt
/// line (a crash mid-write) is skipped and counted without losing the lines around it.
/// </summary>
public sealed class AuditSpoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastrelay-spool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Replay_AfterAppends_GivesEveryRecordInOrder_ThenDeletesTheSegments()
    {
        var stats = new AuditStats();
        using var spool = new AuditSpool(_directory, stats);
        var records = AuditRecords.Many(10);
        spool.Append(records.AsSpan(0, 4));
        spool.Append(records.AsSpan(4));
        spool.Sync();
        Assert.True(spool.HasPending);

        var replayed = Replay(spool, chunk: 3);

        Assert.Equal(records, replayed);
        Assert.False(spool.HasPending);
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Equal(10, stats.Spooled);
        Assert.Equal(0, stats.SpoolCorrupt);
    }

    [Fact]
    public void Append_HandsTheRecordsToTheKernel_BeforeTheyCountAsSpooled()
    {
        // An overflow record went into FileStream's 64 KiB buffer and was counted spooled: a process killed before
        // the writer's next fsync lost it. Another handle (what a restart after a crash reads) must see it at once.
        var stats = new AuditStats();
        using var spool = new AuditSpool(_directory, stats);
        var record = AuditRecords.Sample(7);
        spool.Append([record]);

        var segment = Assert.Single(Directory.GetFiles(_directory, "spool-*.log"));
        using var reader = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        var line = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Contains(record.RecordId.ToString(), line, StringComparison.Ordinal);
        Assert.Equal(bytes.Length, stats.SpoolBytes);
        Assert.Equal(1, stats.Spooled);
    }

    [Fact]
    public void Replay_WhenTheSinkFails_KeepsTheSegment_AndTheNextReplayGivesItAgain()
    {
        using var spool = new AuditSpool(_directory, new AuditStats());
        var records = AuditRecords.Many(5);
        spool.Append(records);

        Assert.False(spool.Replay(_ => false, new AuditRecord[2]));
        Assert.True(spool.HasPending);
        Assert.Equal(records, Replay(spool, chunk: 2));
    }

    [Fact]
    public void ASegmentDeletedUnderTheSpool_IsCountedLost_AndTheRestStillDrains()
    {
        // A temp-file cleaner removed a closed segment: every replay failed on it, so the spool never drained and
        // every new record went to the spool instead of the sink.
        var stats = new AuditStats();
        using var spool = new AuditSpool(_directory, stats);
        var first = AuditRecords.Many(3);
        spool.Append(first);
        Assert.False(spool.Replay(_ => false, new AuditRecord[8])); // Closes the segment; the sink is down.
        var lost = Assert.Single(Directory.GetFiles(_directory, "spool-*.log"));
        File.Delete(lost);
        var second = AuditRecords.Many(2);
        spool.Append(second);

        Assert.Equal(second, Replay(spool, chunk: 8));
        Assert.False(spool.HasPending);
        Assert.Equal(1, stats.SpoolCorrupt);
        Assert.Equal(0, stats.SpoolBytes);
    }

    [Fact]
    public void NewSpool_OnADirectoryWithSegments_ReplaysThemFirst_AndAppendsToANewFile()
    {
        var first = AuditRecords.Many(3);
        using (var before = new AuditSpool(_directory, new AuditStats()))
        {
            before.Append(first);
        }

        using var after = new AuditSpool(_directory, new AuditStats());
        Assert.True(after.HasPending);
        var later = AuditRecords.Sample(99);
        after.Append([later]);
        Assert.Equal(2, Directory.GetFiles(_directory).Length);

        Assert.Equal([.. first, later], Replay(after, chunk: 10));
    }

    [Fact]
    public void Replay_TornTailAndCorruptLine_AreSkippedAndCounted_TheRestArrives()
    {
        var records = AuditRecords.Many(4);
        using (var writer = new AuditSpool(_directory, new AuditStats()))
        {
            writer.Append(records);
        }

        // Corrupt the second line's JSON (the CRC no longer matches) and cut the last line in half.
        var path = Directory.GetFiles(_directory).Single();
        var lines = File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[1] = lines[1].Replace("\"svc\"", "\"svx\"", StringComparison.Ordinal);
        var text = string.Join('\n', lines[..3]) + '\n' + lines[3][..(lines[3].Length / 2)];
        File.WriteAllText(path, text, new UTF8Encoding(false));

        var stats = new AuditStats();
        using var spool = new AuditSpool(_directory, stats);
        var replayed = Replay(spool, chunk: 10);

        Assert.Equal([records[0], records[2]], replayed);
        Assert.Equal(2, stats.SpoolCorrupt);
        Assert.False(spool.HasPending);
    }

    [Fact]
    public void Replay_ALineTooLongToBeOurs_IsSkippedAndCounted_WithoutHoldingIt()
    {
        var records = AuditRecords.Many(2);
        using (var writer = new AuditSpool(_directory, new AuditStats()))
        {
            writer.Append(records);
        }

        // A damaged segment: 3 MiB without a newline between the two records (File.ReadAllBytes held all of it, and
        // a segment of gigabytes took the writer down with an OutOfMemoryException at every start).
        var path = Directory.GetFiles(_directory).Single();
        var lines = File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        File.WriteAllText(path, $"{lines[0]}\n{new string('x', 3 << 20)}\n{lines[1]}\n", new UTF8Encoding(false));

        var stats = new AuditStats();
        using var spool = new AuditSpool(_directory, stats);

        Assert.Equal(records, Replay(spool, chunk: 10));
        Assert.Equal(1, stats.SpoolCorrupt);
    }

    [Fact]
    public void Replay_ASegmentThatNeverEnds_IsReadAsEmpty_NotIntoMemory()
    {
        // File.ReadAllBytes of /dev/zero in the spool directory read until the process died.
        var records = AuditRecords.Many(2);
        using (var writer = new AuditSpool(_directory, new AuditStats()))
        {
            writer.Append(records);
        }

        File.CreateSymbolicLink(Path.Combine(_directory, "spool-00000000.log"), "/dev/zero"); // Sorts first.
        using var spool = new AuditSpool(_directory, new AuditStats());

        Assert.Equal(records, Replay(spool, chunk: 10));
    }

    [Fact]
    public void Line_Format_IsCrc32HexSpaceJson()
    {
        using (var spool = new AuditSpool(_directory, new AuditStats()))
        {
            spool.Append([AuditRecords.Sample(1)]);
        }

        var line = File.ReadAllText(Directory.GetFiles(_directory).Single());
        Assert.Matches("^[0-9a-f]{8} \\{\"record_id\":\"[0-9a-f-]{36}\",.*\\}\n$", line);
        var json = Encoding.UTF8.GetBytes(line[9..^1]);
        Assert.Equal(Convert.ToUInt32(line[..8], 16), FastRelay.Audit.Internal.Crc32.Compute(json));
    }

    private static List<AuditRecord> Replay(AuditSpool spool, int chunk)
    {
        var replayed = new List<AuditRecord>();
        Assert.True(spool.Replay(batch =>
        {
            replayed.AddRange(batch.ToArray());
            return true;
        }, new AuditRecord[chunk]));
        return replayed;
    }
}
