using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;

namespace FastRelay.Core.Tests.Diagnostics;

/// <summary>
/// Recording into the exporter allocates nothing once a series exists (the hot-path contract; the
/// numbers are in bench/FastRelay.Benchmarks MetricsObserverBench).
/// </summary>
public sealed class RelayMetricsAllocationTests
{
    [Fact]
    public void Recording_ExistingSeries_AllocatesNothing()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        RecordAll(metrics); // Creates the series; JITs the paths.

        // The fewest bytes of a few rounds: a one-off allocation by the runtime (a method tiering up, another
        // test's MeterListener publishing instruments meanwhile) is not the recording path's, and a per-call
        // allocation would show in every round.
        long fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 200; i++)
            {
                RecordAll(metrics);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.Contains("fastrelay_connections_accepted_total{service=\"crm\"} 1001", exporter.Scrape(), StringComparison.Ordinal);
    }

    private static void RecordAll(RelayMetrics metrics)
    {
        metrics.ConnectionAccepted("crm");
        metrics.ConnectionClosed(CloseReason.Completed);
        metrics.BytesRelayed(100, 200);
        metrics.Decision(Checkpoint.Inbound, "Desk", "0", allowed: true);
        metrics.RateLimitRejected("crm", "bucket_empty");
        metrics.UpstreamConnected("crm", TimeSpan.FromMilliseconds(1));
        metrics.SessionEnded("crm", TimeSpan.FromSeconds(2));
    }
}
