using System.Net;
using BenchmarkDotNet.Attributes;
using FastRelay.Audit;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Sustained throughput of the whole audit path: connection events into <see cref="AuditObserver.OnEvent"/>
/// as fast as one thread can raise them, through the bounded queue and the writer thread (batching,
/// group commit) into the sink, until the sink reports every record written. Records/s = 10^9 / (ns per
/// operation); the queue holds a whole invocation, so nothing overflows to the spool. PostgreSQL needs
/// FASTRELAY_BENCH_PG (see <see cref="AuditSinkBench"/>).
/// </summary>
[MemoryDiagnoser]
public class AuditPipelineBench
{
    private const int Records = 100_000;

    private AuditLog? _audit;
    private ConnectionEvent _close;
    private string _directory = "";
    private long _target;

    [Params("sqlite", "postgres")]
    public string Sink { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("fastrelay-bench-pipeline-").FullName;
        AuditTarget? target = Sink == "sqlite"
            ? new AuditTarget(AuditSinkKind.Sqlite, Path.Combine(_directory, "audit.db"))
            : Environment.GetEnvironmentVariable("FASTRELAY_BENCH_PG") is { Length: > 0 } pg ? new AuditTarget(AuditSinkKind.Postgres, pg) : null;
        if (target is null)
        {
            Console.WriteLine("// AuditPipelineBench: FASTRELAY_BENCH_PG is not set; the postgres case measures nothing");
            return;
        }

        _audit = AuditLog.Start(new AuditOptions { Target = target, SpoolDirectory = Path.Combine(_directory, "spool"), QueueCapacity = 2 * Records },
            "bench-node", 3, NullLogger.Instance, TimeProvider.System);
        var client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 50123);
        var listener = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443);
        var upstream = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 8443);
        _close = new ConnectionEvent(42, DateTimeOffset.UtcNow, Checkpoint.Close, true, client, listener, "crm", upstream,
            Reason: CloseReason.Completed, BytesClientToUpstream: 1234, BytesUpstreamToClient: 56789, Elapsed: TimeSpan.FromMilliseconds(15));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _audit?.StopAsync().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public void EventsToSink()
    {
        if (_audit is null)
        {
            return;
        }

        _target += Records;
        for (var i = 0; i < Records; i++)
        {
            _audit.Observer.OnEvent(_close);
        }

        var spin = new SpinWait();
        while (_audit.Stats.Written < _target)
        {
            spin.SpinOnce(sleep1Threshold: 10);
        }
    }
}
