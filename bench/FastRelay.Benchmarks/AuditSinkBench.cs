using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Audit;
using FastRelay.Diagnostics;

namespace FastRelay.Benchmarks;

/// <summary>
/// Sink throughput: records per second each sink stores, one <see cref="AuditWriter.MaxBatch"/>-record batch
/// per call as the writer sends them under load (one transaction; binary COPY + merge for PostgreSQL; one
/// fsync for JSON lines). Issue 7 asks for >= 50,000 records/s from PostgreSQL and >= 20,000 from SQLite:
/// records/s = 10^9 / (ns per operation). Every record is new (fresh record ids), so the unique index does
/// real work. PostgreSQL needs FASTRELAY_BENCH_PG (an Npgsql connection string; bench/README.md shows how
/// to start a throwaway server); without it that case is skipped with a message.
/// </summary>
[MemoryDiagnoser]
public class AuditSinkBench
{
    private const int Batch = AuditWriter.MaxBatch;

    private IAuditSink? _sink;
    private AuditRecord[] _batch = [];
    private AuditRecordIds _ids = null!;
    private string _directory = "";

    [Params("sqlite", "postgres", "jsonl")]
    public string Sink { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("fastrelay-bench-sink-").FullName;
        _ids = new AuditRecordIds(7);
        _sink = Sink switch
        {
            "sqlite" => new SqliteAuditSink(Path.Combine(_directory, "audit.db")),
            "jsonl" => new JsonlAuditSink(Path.Combine(_directory, "audit.jsonl")),
            _ => Environment.GetEnvironmentVariable("FASTRELAY_BENCH_PG") is { Length: > 0 } pg ? new PostgresAuditSink(pg) : null,
        };
        if (_sink is null)
        {
            Console.WriteLine("// AuditSinkBench: FASTRELAY_BENCH_PG is not set; the postgres case measures nothing");
        }

        var client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 50123);
        var listener = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443);
        var upstream = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 8443);
        _batch = [.. Enumerable.Range(0, Batch).Select(i => new AuditRecord
        {
            RecordId = Guid.Empty,
            Timestamp = DateTime.UtcNow,
            Node = "bench-node",
            ConnectionId = i,
            Action = AuditAction.Close,
            Verdict = true,
            Client = client,
            Listener = listener,
            Service = "crm",
            Destination = upstream,
            RuleGroup = "Desk",
            RuleIndex = 0,
            Reason = CloseReason.Completed,
            BytesFromClient = 1234,
            BytesToClient = 56789,
            Duration = TimeSpan.FromMilliseconds(15),
        })];
        _sink?.Write(Fresh());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void WriteBatch() => _sink?.Write(Fresh());

    // New ids for every batch, as the writer would send (ids are made on the connection's flow, so this
    // loop's cost, ~20 ns a record, is not the sink's; it is included and small).
    private AuditRecord[] Fresh()
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < _batch.Length; i++)
        {
            _batch[i] = _batch[i] with { RecordId = _ids.Next(now) };
        }

        return _batch;
    }
}
