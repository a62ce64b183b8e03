using System.Diagnostics.Metrics;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;

namespace FastRelay.Core.Tests.Diagnostics;

/// <summary>
/// The Prometheus text format 0.0.4 as scrapers parse it: HELP and TYPE once per metric, escaped label
/// values, cumulative histogram buckets ending in +Inf with _sum and _count, a stable order, and nothing
/// for instruments nobody fed (the subsystems not built yet).
/// </summary>
public sealed class PrometheusExporterTests
{
    [Fact]
    public void Scrape_NothingRecorded_ListsOnlyObservedGauges()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);

        Assert.Equal("", exporter.Scrape());

        metrics.ObserveActiveConnections(() => 7);
        Assert.Equal("""
            # HELP fastrelay_connections_active Connections open now.
            # TYPE fastrelay_connections_active gauge
            fastrelay_connections_active 7

            """.Replace("\r", "", StringComparison.Ordinal), exporter.Scrape());
    }

    [Fact]
    public void Scrape_Counters_HaveTotalSuffix_TypeAndEscapedLabels()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);

        metrics.Decision(Checkpoint.Inbound, "Desk \"A\"\\B\nC", "0", allowed: true);
        metrics.Decision(Checkpoint.Inbound, "Desk \"A\"\\B\nC", "0", allowed: true);
        metrics.BytesRelayed(10, 20);

        var text = exporter.Scrape();
        Assert.Contains("# TYPE fastrelay_decisions_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_decisions_total{checkpoint=\"Inbound\",group=\"Desk \\\"A\\\"\\\\B\\nC\",rule=\"0\",verdict=\"allow\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE fastrelay_relayed_bytes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_relayed_bytes_total{direction=\"client_to_upstream\"} 10\n", text, StringComparison.Ordinal);
        Assert.Contains("fastrelay_relayed_bytes_total{direction=\"upstream_to_client\"} 20\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l.StartsWith("# HELP fastrelay_relayed_bytes_total ", StringComparison.Ordinal));
    }

    [Fact]
    public void Scrape_Histogram_CumulativeBuckets_InfSumCount()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);

        metrics.UpstreamConnected("crm", TimeSpan.FromMilliseconds(0.2)); // le 0.0005
        metrics.UpstreamConnected("crm", TimeSpan.FromMilliseconds(3)); // le 0.005
        metrics.UpstreamConnected("crm", TimeSpan.FromSeconds(5)); // le 5 (bounds are inclusive)
        metrics.UpstreamConnected("crm", TimeSpan.FromSeconds(60)); // +Inf only

        var lines = exporter.Scrape().Split('\n');
        Assert.Contains("# TYPE fastrelay_upstream_connect_duration_seconds histogram", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"0.0005\"} 1", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"0.001\"} 1", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"0.005\"} 2", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"5\"} 3", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"10\"} 3", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_bucket{service=\"crm\",le=\"+Inf\"} 4", lines);
        Assert.Contains("fastrelay_upstream_connect_duration_seconds_count{service=\"crm\"} 4", lines);
        var sum = lines.Single(l => l.StartsWith("fastrelay_upstream_connect_duration_seconds_sum", StringComparison.Ordinal));
        Assert.Equal(65.0032, double.Parse(sum.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), 6);

        // Buckets never decrease, and the +Inf bucket equals the count.
        var buckets = lines.Where(l => l.Contains("_bucket{", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(RelayMetrics.LatencyBuckets.Length + 1, buckets.Count);
        Assert.Equal(buckets.Order(), buckets);
    }

    [Fact]
    public void Scrape_IsDeterministic_SortedByNameThenLabels()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        foreach (var service in new[] { "zeta", "alpha", "mid" })
        {
            metrics.ConnectionAccepted(service);
            metrics.ConnectionClosed(CloseReason.Completed);
        }

        metrics.ConnectionClosed(CloseReason.ClientReset);
        var first = exporter.Scrape();

        Assert.Equal(first, exporter.Scrape());
        var names = first.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        var accepted = first.Split('\n').Where(l => l.StartsWith("fastrelay_connections_accepted_total{", StringComparison.Ordinal)).ToList();
        Assert.Equal(["alpha", "mid", "zeta"], accepted.Select(l => l.Split('"')[1]));
    }

    [Fact]
    public void Exporter_ListensToItsMeterOnly()
    {
        using var mine = new RelayMetrics();
        using var other = new RelayMetrics();
        using var exporter = new PrometheusExporter(mine.Meter);

        other.ConnectionAccepted("other");
        mine.ConnectionAccepted("mine");

        var text = exporter.Scrape();
        Assert.Contains("service=\"mine\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("service=\"other\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ObservedGauges_PendingHooks_ReportOnlyOnceFed()
    {
        using var metrics = new RelayMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        Assert.DoesNotContain("audit", exporter.Scrape(), StringComparison.Ordinal);

        metrics.ObserveAudit(() => 3, () => 4096);
        metrics.ObserveCertificateExpiry(() => [new Measurement<double>(86400 * 30.5, new KeyValuePair<string, object?>("certificate", "CN=edge"))]);
        metrics.ObserveTunnelConnections(() => [new Measurement<long>(2, new KeyValuePair<string, object?>("gateway", "gw1:443"))]);

        var lines = exporter.Scrape().Split('\n');
        Assert.Contains("fastrelay_audit_queue_depth 3", lines);
        Assert.Contains("fastrelay_audit_spool_bytes 4096", lines);
        Assert.Contains("fastrelay_tls_certificate_expiry_seconds{certificate=\"CN=edge\"} 2635200", lines);
        Assert.Contains("fastrelay_tunnel_connections{gateway=\"gw1:443\"} 2", lines);

        // A gateway that is gone disappears from the next scrape (observed series are not kept).
        metrics.ObserveTunnelConnections(null);
        Assert.DoesNotContain("fastrelay_tunnel_connections", exporter.Scrape(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fastrelay.connections.accepted", "{connection}", true, "fastrelay_connections_accepted_total")]
    [InlineData("fastrelay.relayed", "By", true, "fastrelay_relayed_bytes_total")]
    [InlineData("fastrelay.session.duration", "s", false, "fastrelay_session_duration_seconds")]
    [InlineData("fastrelay.audit.spool", "By", false, "fastrelay_audit_spool_bytes")]
    [InlineData("fastrelay.rate_limit.rejections", null, true, "fastrelay_rate_limit_rejections_total")]
    public void MetricName_MapsDotsUnitsAndTotal(string instrument, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(instrument, unit, counter));

    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(1.0, "1")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(1e-7, "1E-07")]
    public void Number_InvariantShortest(double value, string expected) => Assert.Equal(expected, PrometheusText.Number(value));
}
