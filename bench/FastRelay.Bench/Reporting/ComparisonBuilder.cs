using FastRelay.Bench.Cli;
using FastRelay.Bench.Measurement;
using FastRelay.Bench.Phases;
using FastRelay.Bench.Targets;

namespace FastRelay.Bench.Reporting;

/// <summary>Pairs each phase's direct and relay results into <see cref="ComparisonRow"/>s.</summary>
internal static class ComparisonBuilder
{
    /// <summary>Builds the rows for every phase that ran, in run order.</summary>
    public static List<ComparisonRow> Build(RunOptions options, IReadOnlyList<PhaseResult> results)
    {
        var rows = new List<ComparisonRow>();
        foreach (var phase in options.Phases)
        {
            var direct = Find(results, phase, BenchTarget.DirectName);
            var relay = Find(results, phase, BenchTarget.RelayName);
            if (direct is null && relay is null)
            {
                continue;
            }

            var title = PhaseDispatcher.Title(phase, options);
            void Add(string metric, string unit, Func<PhaseResult, double?> value, Comparison comparison) =>
                rows.Add(new ComparisonRow(title, metric, unit, Value(direct, value), Value(relay, value), comparison));

            switch (phase)
            {
                case PhaseKind.Latency or PhaseKind.Sessions:
                    Add("exchanges/s", "1/s", r => r.OperationsPerSecond, Comparison.Ratio);
                    AddLatency(Add, "RTT");
                    Add("harness alloc/exchange", "B", r => r.AllocatedBytesPerOperation, Comparison.None);
                    break;
                case PhaseKind.Bulk or PhaseKind.BulkMany:
                    Add("throughput", "MB/s", r => r.MegabytesPerSecond, Comparison.Ratio);
                    break;
                case PhaseKind.Connect:
                    Add("connections/s", "1/s", r => r.OperationsPerSecond, Comparison.Ratio);
                    Add("connect+exchange+close p50", "µs", r => r.Latency?.P50Micros, Comparison.AddedMicros);
                    Add("connect+exchange+close p99", "µs", r => r.Latency?.P99Micros, Comparison.AddedMicros);
                    break;
            }

            // The mTLS relay, against the same direct path (--tls).
            if (Find(results, phase, BenchTarget.MutualTlsName) is { } mtls)
            {
                void AddTls(string metric, string unit, Func<PhaseResult, double?> value, Comparison comparison) =>
                    rows.Add(new ComparisonRow(title, metric, unit, Value(direct, value), Value(mtls, value), comparison));
                if (phase == PhaseKind.Connect)
                {
                    AddTls("mTLS connections/s (full handshakes)", "1/s", r => r.OperationsPerSecond, Comparison.Ratio);
                    AddTls("mTLS connect+handshake+exchange+close p50", "µs", r => r.Latency?.P50Micros, Comparison.AddedMicros);
                    AddTls("mTLS relay CPU", "%", r => r.RelayCpuPercent, Comparison.None);
                    AddTls("relay CPU per connection (relay column: mTLS)", "ms", CpuPerConnection, Comparison.None);
                    Add("relay CPU per connection (plain)", "ms", CpuPerConnection, Comparison.None);

                    // --openssl-reference: the same handshakes on OpenSSL's own server, the target's reference.
                    if (Find(results, phase, BenchTarget.OpenSslName) is { } reference)
                    {
                        rows.Add(new ComparisonRow(title, "full mTLS handshakes/s (direct column: openssl s_server)", "1/s", Value(reference, r => r.OperationsPerSecond), Value(mtls, r => r.OperationsPerSecond), Comparison.None));
                        rows.Add(new ComparisonRow(title, "CPU per full mTLS handshake, relay / s_server", "ms", Value(reference, CpuPerConnection), Value(mtls, CpuPerConnection), Comparison.Ratio));
                    }
                }
                else
                {
                    AddTls("mTLS throughput", "MB/s", r => r.MegabytesPerSecond, Comparison.Ratio);
                    AddTls("mTLS relay CPU", "%", r => r.RelayCpuPercent, Comparison.None);
                }
            }

            // The tunnel path (--tunnel): edge + gateway against the direct path, and new sessions against the plain relay.
            if (Find(results, phase, BenchTarget.TunnelName) is { } tunnel)
            {
                void AddTunnel(string metric, string unit, Func<PhaseResult, double?> value, Comparison comparison, PhaseResult? baseline = null) =>
                    rows.Add(new ComparisonRow(title, metric, unit, Value(baseline ?? direct, value), Value(tunnel, value), comparison));
                switch (phase)
                {
                    case PhaseKind.Latency or PhaseKind.Sessions:
                        AddTunnel("tunnel exchanges/s", "1/s", r => r.OperationsPerSecond, Comparison.Ratio);
                        AddTunnel("tunnel RTT p50", "µs", r => r.Latency?.P50Micros, Comparison.AddedMicros);
                        AddTunnel("tunnel RTT p99", "µs", r => r.Latency?.P99Micros, Comparison.AddedMicros);
                        break;
                    case PhaseKind.Bulk or PhaseKind.BulkMany:
                        AddTunnel("tunnel throughput (edge + gateway)", "MB/s", r => r.MegabytesPerSecond, Comparison.Ratio);
                        break;
                    case PhaseKind.Connect:
                        AddTunnel("tunnel connections/s", "1/s", r => r.OperationsPerSecond, Comparison.Ratio);
                        AddTunnel("tunnel connections/s (direct column: plain relay)", "1/s", r => r.OperationsPerSecond, Comparison.Ratio, relay);
                        break;
                }

                AddTunnel("tunnel edge CPU", "%", r => r.RelayCpuPercent, Comparison.None);
            }

            Add("harness CPU", "%", r => r.HarnessCpuPercent, Comparison.None);
            Add("backends CPU", "%", r => r.BackendCpuPercent, Comparison.None);
            Add("relay CPU", "%", r => r.RelayCpuPercent, Comparison.None);
        }

        return rows;
    }

    /// <summary>Relay CPU milliseconds per connection in the measured window (null on the direct path).</summary>
    public static double? CpuPerConnection(PhaseResult r) =>
        r.Path != BenchTarget.DirectName && r.RelayCpuPercent is { } cpu && r.Operations > 0 ? cpu / 100 * r.ElapsedSeconds / r.Operations * 1000 : null;

    /// <summary>The result of <paramref name="phase"/> on the path called <paramref name="path"/>, if it ran.</summary>
    public static PhaseResult? Find(IReadOnlyList<PhaseResult> results, PhaseKind phase, string path) =>
        results.FirstOrDefault(r => r.Phase == phase && r.Path == path);

    private static void AddLatency(Action<string, string, Func<PhaseResult, double?>, Comparison> add, string name)
    {
        (string Label, Func<LatencySummary, double> Pick)[] stats =
        [
            ("p50", l => l.P50Micros), ("p90", l => l.P90Micros), ("p99", l => l.P99Micros),
            ("p99.9", l => l.P999Micros), ("max", l => l.MaxMicros), ("mean", l => l.MeanMicros),
            ("stddev", l => l.StdDevMicros),
        ];
        foreach (var (label, pick) in stats)
        {
            add($"{name} {label}", "µs", r => r.Latency is { } l ? pick(l) : null, Comparison.AddedMicros);
        }
    }

    // A failed phase's numbers are partial, so they are left out of the comparison (the error is listed).
    private static double? Value(PhaseResult? result, Func<PhaseResult, double?> value) =>
        result is { Succeeded: true } ? value(result) : null;
}
