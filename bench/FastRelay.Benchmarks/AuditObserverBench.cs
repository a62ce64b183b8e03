using System.Net;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using FastRelay.Audit;
using FastRelay.Diagnostics;
using FastRelay.Observing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: what every decision on every connection costs the data path with the audit log on,
/// <see cref="AuditObserver.OnEvent"/>: building the <see cref="AuditRecord"/> (record id, UTC time) and
/// writing it into the bounded queue. The writer's side is a <c>TryRead</c> in the same loop so that the
/// queue never fills (the full-queue policies are tested, not benchmarked). Must be 0 B per event.
/// Baseline: the queue alone (<c>TryWrite</c> + <c>TryRead</c> of a ready record). Threads: one connection
/// flow, and two on this 2-core box contending for the queue's lock.
/// </summary>
[MemoryDiagnoser]
public class AuditObserverBench
{
    private const int Operations = 4096;

    private Channel<AuditRecord> _queue = null!;
    private AuditObserver _observer = null!;
    private AuditSpool _spool = null!;
    private ConnectionEvent _close;
    private AuditRecord _record;
    private string _spoolDirectory = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(65_536) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _spoolDirectory = Directory.CreateTempSubdirectory("fastrelay-bench-spool-").FullName;
        var stats = new AuditStats();
        _spool = new AuditSpool(_spoolDirectory, stats);
        _observer = new AuditObserver(_queue.Writer, _spool, stats, new AuditRecordIds(1), "bench-node", AuditOverflow.Spool, NullLogger.Instance);
        var client = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 50123);
        var listener = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443);
        var upstream = new IPEndPoint(IPAddress.Parse("10.9.9.9"), 8443);
        _close = new ConnectionEvent(42, DateTimeOffset.UtcNow, Checkpoint.Close, true, client, listener, "crm", upstream,
            Reason: CloseReason.Completed, BytesClientToUpstream: 1234, BytesUpstreamToClient: 56789, Elapsed: TimeSpan.FromMilliseconds(15));
        _record = _observer.ToRecord(_close);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _spool.Dispose();
        Directory.Delete(_spoolDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void QueueOnly() => Run(static (self, n) =>
    {
        for (var i = 0; i < n; i++)
        {
            self._queue.Writer.TryWrite(self._record);
            self._queue.Reader.TryRead(out _);
        }
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public void OnEvent() => Run(static (self, n) =>
    {
        for (var i = 0; i < n; i++)
        {
            self._observer.OnEvent(self._close);
            self._queue.Reader.TryRead(out _);
        }
    });

    private void Run(Action<AuditObserverBench, int> loop)
    {
        if (Threads == 1)
        {
            loop(this, Operations);
            return;
        }

        // Two flows at once; Parallel.For's own small allocations are per invocation, not per event.
        Parallel.For(0, Threads, _ => loop(this, Operations / Threads));
    }
}
