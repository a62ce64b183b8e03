using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Audit;

namespace FastRelay.Benchmarks;

/// <summary>
/// The spool's replay when the database comes back: reading segments line by line (<c>Audit/Internal/LineReader</c>,
/// bounded lines) and parsing each record. Not per connection, but it decides how fast a backlog drains and how much
/// memory that takes: a replay holds one 64 KiB read buffer and the records of one chunk, not a whole 16 MiB segment.
/// Per record; the sink is a no-op that takes every chunk.
/// </summary>
[MemoryDiagnoser]
public class SpoolReplayBench
{
    private const int Records = 20_000;

    private readonly AuditRecord[] _chunk = new AuditRecord[4096];
    private string _template = "";
    private string _work = "";
    private AuditSpool _spool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _template = Directory.CreateTempSubdirectory("fastrelay-bench-replay-").FullName;
        var record = new AuditRecord
        {
            RecordId = Guid.CreateVersion7(),
            Timestamp = DateTime.UtcNow,
            Node = "bench-node",
            ConnectionId = 1,
            Action = AuditAction.Close,
            Verdict = true,
            Client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 50123),
            Listener = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443),
            Service = "crm",
        };
        using var spool = new AuditSpool(_template, new AuditStats());
        var batch = new AuditRecord[1000];
        for (var written = 0; written < Records; written += batch.Length)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = record with { RecordId = Guid.CreateVersion7(), ConnectionId = written + i };
            }

            spool.Append(batch);
        }
    }

    [IterationSetup]
    public void CopySegments()
    {
        _work = Directory.CreateTempSubdirectory("fastrelay-bench-replay-work-").FullName;
        foreach (var file in Directory.GetFiles(_template))
        {
            File.Copy(file, Path.Combine(_work, Path.GetFileName(file)));
        }

        _spool = new AuditSpool(_work, new AuditStats());
    }

    [IterationCleanup]
    public void RemoveWork()
    {
        _spool.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_template, recursive: true);

    [Benchmark(OperationsPerInvoke = Records)]
    public bool Replay() => _spool.Replay(static _ => true, _chunk);
}
