using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.TestKit;

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

        Assert.Equal(0, Allocations.FewestBytesOnThisThread(() => RecordAll(metrics), iterations: 200)); // 5 rounds: 1,000 calls.
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
