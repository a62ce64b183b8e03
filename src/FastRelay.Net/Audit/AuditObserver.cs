using System.Runtime.InteropServices;
using System.Threading.Channels;
using FastRelay.Observing;
using Microsoft.Extensions.Logging;

namespace FastRelay.Audit;

/// <summary>
/// Turns each <see cref="ConnectionEvent"/> into an <see cref="AuditRecord"/> and queues it for the
/// <see cref="AuditWriter"/>; never waits for the sink. A full queue is handled by <see cref="AuditOverflow"/>.
/// </summary>
/// <remarks>
/// Thread-safe (many connections at once). The steady path copies a struct into a bounded channel's array and
/// allocates nothing (<c>AuditObserverBench</c>); only the identity string of a TLS client is formatted here.
/// After <see cref="AuditLog.StopAsync"/> has closed the queue, late records go straight to the spool.
/// </remarks>
internal sealed class AuditObserver : IConnectionObserver
{
    private readonly ChannelWriter<AuditRecord> _queue;
    private readonly AuditSpool _spool;
    private readonly AuditStats _stats;
    private readonly AuditRecordIds _ids;
    private readonly string _node;
    private readonly AuditOverflow _overflow;
    private readonly ILogger _logger;
    private static readonly TimeSpan ClosedCheckInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);
    private volatile bool _closed;
    private long _lastDropReport; // Environment.TickCount64 of the last drop warning; 0 before the first.

    public AuditObserver(ChannelWriter<AuditRecord> queue, AuditSpool spool, AuditStats stats, AuditRecordIds ids, string node,
        AuditOverflow overflow, ILogger logger)
    {
        _queue = queue;
        _spool = spool;
        _stats = stats;
        _ids = ids;
        _node = node;
        _overflow = overflow;
        _logger = logger;
    }

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent connectionEvent) => Enqueue(ToRecord(connectionEvent));

    /// <summary>Queues one record (the seam <see cref="OnEvent"/> uses; tests and benchmarks call it too).</summary>
    public void Enqueue(in AuditRecord record)
    {
        if (_queue.TryWrite(record))
        {
            return;
        }

        if (!_closed)
        {
            _stats.AddOverflowed();
            if (_overflow == AuditOverflow.Drop)
            {
                _stats.AddDropped(1);
                ReportDrops();
                return;
            }

            if (_overflow == AuditOverflow.Block && WaitForRoom(record))
            {
                return;
            }
        }

        Spill(record);
    }

    /// <summary>From now on records skip the queue and go to the spool (the writer is stopping).</summary>
    public void Close() => _closed = true;

    /// <summary>Builds the row for one event. Allocation-free unless the event carries a TLS identity.</summary>
    public AuditRecord ToRecord(in ConnectionEvent e) => new()
    {
        RecordId = _ids.Next(e.At),
        Timestamp = e.At.UtcDateTime,
        Node = _node,
        ConnectionId = e.ConnectionId,
        Action = AuditActions.From(e.Checkpoint),
        Verdict = e.Allowed,
        Client = e.Client,
        Listener = e.Listener,
        Service = e.Service,
        Destination = e.Destination,
        Identity = e.Identity?.ToString(),
        CertificateSha256 = e.CertificateSha256,
        RuleGroup = e.Rule?.GroupName,
        RuleIndex = e.Rule?.RuleIndex,
        Reason = e.Reason,
        Detail = e.Detail,
        BytesFromClient = e.BytesClientToUpstream,
        BytesToClient = e.BytesUpstreamToClient,
        Duration = e.Elapsed,
    };

    // --audit-overflow block: the connection's flow waits until the writer takes a batch; false if the queue closed
    // meanwhile (shutdown), and the record is then spooled. It waits in Task.Wait, not in a spin-and-sleep loop: the
    // thread pool sees a worker blocked there and adds threads at once (one per core, then in quick steps), where
    // sleeping workers only showed it starvation, met with about one thread per half second; with a hung database
    // the admin endpoint (/healthz, /metrics) then waited 30 s for a thread. The timeout only rechecks _closed.
    private bool WaitForRoom(in AuditRecord record)
    {
        while (!_closed)
        {
            if (_queue.TryWrite(record))
            {
                return true;
            }

            var room = _queue.WaitToWriteAsync();
            if (room.IsCompleted)
            {
                if (!room.Result)
                {
                    return false; // Completed: the writer is stopping.
                }

                continue;
            }

            _ = room.AsTask().Wait(ClosedCheckInterval);
        }

        return false;
    }

    // A warning at the first drop and then at most every DropReportInterval while drops go on: a line per record
    // would flood the log at the moment the edge is busiest, and none (the count only in the stop line and the
    // metrics) left an operator reading the log unaware that audit rows were being lost.
    private void ReportDrops()
    {
        var now = Environment.TickCount64;
        var last = Volatile.Read(ref _lastDropReport);
        if ((last == 0 || now - last >= DropReportInterval.TotalMilliseconds) && Interlocked.CompareExchange(ref _lastDropReport, now, last) == last)
        {
            AuditLogMessages.RecordsDropped(_logger, _stats.Dropped, (int)DropReportInterval.TotalSeconds);
        }
    }

    private void Spill(AuditRecord record)
    {
        try
        {
            _spool.Append(MemoryMarshal.CreateReadOnlySpan(ref record, 1));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The last resort failed too (disk full): counted and logged, never thrown into the data path.
            _stats.AddDropped(1);
            AuditLogMessages.SpoolFailed(_logger, _spool.Location, ex);
        }
    }
}
