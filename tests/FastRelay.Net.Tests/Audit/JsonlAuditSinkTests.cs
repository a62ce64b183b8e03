using FastRelay.Audit;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Audit;

/// <summary>Two writers of one JSON-lines file, as during a --handoff restart: every record arrives, on a line of its own.</summary>
public sealed class JsonlAuditSinkTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fastrelay-jsonl-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task TwoSinks_OneFile_AtOnce_NoRecordLost_NoLineGlued()
    {
        var path = Path.Combine(_folder, "audit.jsonl");
        const int Batches = 200;
        const int PerBatch = 10;

        // Each writer appends its batches while the other does: with .NET's append mode they wrote at their own offsets
        // and overwrote each other.
        async Task WriteAsync(int writer)
        {
            using var sink = new JsonlAuditSink(path);
            await Task.Yield();
            for (var b = 0; b < Batches; b++)
            {
                sink.Write(Enumerable.Range(0, PerBatch).Select(i => AuditRecords.Sample(((long)writer << 32) | (long)((b * PerBatch) + i))).ToArray());
            }
        }

        await Task.WhenAll(Task.Run(() => WriteAsync(1)), Task.Run(() => WriteAsync(2)));

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2 * Batches * PerBatch, lines.Length);
        Assert.All(lines, line => Assert.Single(System.Text.Json.JsonDocument.Parse(line).RootElement.EnumerateObject(), p => p.Name == "record_id"));
    }
}
