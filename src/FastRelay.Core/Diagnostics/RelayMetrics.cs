using System.Diagnostics.Metrics;

namespace FastRelay.Diagnostics;

/// <summary>
/// The relay's instruments, on one <see cref="Meter"/> named "FastRelay", created once and injected
/// (STYLE H6). The names are public surface (README, "Operating"): add new ones, never rename. The
/// Prometheus exporter derives its names from them (dots to underscores, the unit as a suffix, counters
/// end in <c>_total</c>).
/// </summary>
/// <remarks>
/// Recording allocates nothing: every tag value is a string the caller already holds or a constant
/// (bench/FastRelay.Benchmarks <c>MetricsObserverBench</c>). Thread-safe. Subsystems not built yet (TLS,
/// tunnel, audit) feed their instruments through the methods and <c>Observe*</c> hooks below; until they
/// do, their instruments have no series and the exporter prints nothing for them.
/// </remarks>
public sealed class RelayMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FastRelay";

    /// <summary>Buckets for dial, handshake and ping times, in seconds: 0.5 ms to 10 s.</summary>
    public static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Buckets for session lengths, in seconds: 10 ms to 1 h.</summary>
    public static readonly double[] SessionBuckets = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600];

    private static readonly string[] ReasonNames = Enum.GetNames<CloseReason>();
    private static readonly string[] CheckpointNames = Enum.GetNames<Checkpoint>();

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _tlsHandshakeFailures;
    private readonly Histogram<double> _connectDuration;
    private readonly Histogram<double> _tlsHandshakeDuration;
    private readonly Histogram<double> _sessionDuration;
    private readonly Histogram<double> _tunnelPingRtt;
    private readonly Counter<long> _tunnelStreams;
    private readonly Counter<long> _tunnelRekeys;
    private readonly Counter<long> _tunnelHandshakes;
    private volatile Func<long>? _activeConnections;
    private volatile Func<IEnumerable<Measurement<long>>>? _tunnelConnections;
    private volatile Func<long>? _auditQueueDepth;
    private volatile Func<long>? _auditSpoolBytes;
    private volatile Func<IEnumerable<Measurement<double>>>? _certificateExpiry;
    private volatile Func<IEnumerable<Measurement<long>>>? _auditRecords;
    private volatile Func<IEnumerable<Measurement<long>>>? _backendHealthy;
    private volatile Func<IEnumerable<Measurement<long>>>? _backendOutstanding;
    private volatile Func<IEnumerable<Measurement<long>>>? _backendEjections;
    private volatile Func<IEnumerable<Measurement<long>>>? _splicePipes;
    private volatile Func<IEnumerable<Measurement<long>>>? _gatewayRefusals;

    /// <summary>Creates the meter and every instrument.</summary>
    public RelayMetrics(string? version = null)
    {
        Meter = new Meter(MeterName, version);
        _accepted = Meter.CreateCounter<long>("fastrelay.connections.accepted", "{connection}", "Connections accepted by a listener (refusals at the connection limit included), by service.");
        Meter.CreateObservableUpDownCounter("fastrelay.connections.active", () => Observe(_activeConnections), "{connection}", "Connections open now.");
        _closed = Meter.CreateCounter<long>("fastrelay.connections.closed", "{connection}", "Connections ended, by close reason (one per connection; denials and refusals included).");
        _bytes = Meter.CreateCounter<long>("fastrelay.relayed", "By", "Bytes forwarded, by direction (client_to_upstream, upstream_to_client); counted when a connection closes.");
        _decisions = Meter.CreateCounter<long>("fastrelay.decisions", "{decision}", "Security-group decisions, by checkpoint (Inbound, Outbound, Handshake), group, rule index (or default-deny) and verdict (allow, deny).");
        _rateLimitRejections = Meter.CreateCounter<long>("fastrelay.rate_limit.rejections", "{connection}", "Connections closed by the connection token bucket, by service and cause (bucket_empty, table_full).");
        _tlsHandshakeFailures = Meter.CreateCounter<long>("fastrelay.tls.handshake.failures", "{handshake}", "TLS handshakes that failed, by close reason.");
        _connectDuration = Meter.CreateHistogram("fastrelay.upstream.connect.duration", "s", "Time to connect to the upstream (every target tried included), by service.", LatencyBuckets);
        _tlsHandshakeDuration = Meter.CreateHistogram("fastrelay.tls.handshake.duration", "s", "Time of successful TLS handshakes with clients, by service.", LatencyBuckets);
        _sessionDuration = Meter.CreateHistogram("fastrelay.session.duration", "s", "Time from accept to close of connections that were let through, by service.", SessionBuckets);
        _tunnelPingRtt = Meter.CreateHistogram("fastrelay.tunnel.ping.rtt", "s", "Round-trip time of tunnel keepalive pings, by gateway.", LatencyBuckets);
        Meter.CreateObservableUpDownCounter("fastrelay.tunnel.connections", () => Observe(_tunnelConnections), "{connection}", "Tunnel connections open now, by gateway.");
        _tunnelStreams = Meter.CreateCounter<long>("fastrelay.tunnel.streams", "{stream}", "Streams opened over tunnel connections, by gateway.");
        _tunnelRekeys = Meter.CreateCounter<long>("fastrelay.tunnel.rekeys", "{rekey}", "Tunnel session rekeys, by gateway.");
        _tunnelHandshakes = Meter.CreateCounter<long>("fastrelay.tunnel.handshakes", "{handshake}", "Tunnel (Noise XX) handshakes, by gateway and outcome (ok, failed, refused: a gateway closed it with GOAWAY AUTH_FAILED); a new session over a warm pool adds none.");
        Meter.CreateObservableUpDownCounter("fastrelay.audit.queue.depth", () => Observe(_auditQueueDepth), "{record}", "Audit records waiting for the writer.");
        Meter.CreateObservableUpDownCounter("fastrelay.audit.spool", () => Observe(_auditSpoolBytes), "By", "Bytes in the audit spool (records kept while the sink is down).");
        Meter.CreateObservableCounter("fastrelay.audit.records", () => Observe(_auditRecords), "{record}", "Audit records by outcome: written (to the sink from the queue), spooled, replayed (from the spool), dropped (--audit-overflow drop, or the spool's disk failed), overflowed (met a full queue), write_errors (failed sink batches, retried), spool_corrupt (damaged spool lines skipped at replay).");
        Meter.CreateObservableGauge("fastrelay.backend.healthy", () => Observe(_backendHealthy), "{backend}", "1 while a route's backend takes new sessions (not down by its health checks, not ejected), else 0; by service and backend.");
        Meter.CreateObservableUpDownCounter("fastrelay.backend.outstanding", () => Observe(_backendOutstanding), "{session}", "Sessions dialling or open on a backend now (all routes that list it), by service and backend.");
        Meter.CreateObservableCounter("fastrelay.backend.ejections", () => Observe(_backendEjections), "{ejection}", "Passive ejections of a backend (--eject-after failed connects in a row) since start, by service and backend.");
        Meter.CreateObservableUpDownCounter("fastrelay.splice.pipes", () => Observe(_splicePipes), "{pipe}", "Splice pipes of the epoll data path now, by state: in_use (bytes waiting for a full receiver, or a splice under way), idle (kept for the next bulk flow); at most 32 in all.");
        Meter.CreateObservableCounter("fastrelay.gateway.refusals", () => Observe(_gatewayRefusals), "{refusal}", "What the gateway refused at its limits since start, by limit: max_streams and stream_descriptors (a stream's OPEN answered RST REFUSED_STREAM), tunnel_descriptors, max_handshakes, max_handshakes_per_source and handshake_rate (a tunnel connection closed before its handshake).");
        Meter.CreateObservableGauge("fastrelay.tls.certificate.expiry", () => Observe(_certificateExpiry), "s", "Time until each certificate's notAfter (negative once expired), by certificate; divide by 86400 for days.");
    }

    /// <summary>The meter all instruments live on (the exporter listens to this one instance).</summary>
    public Meter Meter { get; }

    /// <summary>The epoll data path's hook: splice pipes by state (tag <c>state</c>: <c>in_use</c>, <c>idle</c>).</summary>
    public void ObserveSplicePipes(Func<IEnumerable<Measurement<long>>>? source) => _splicePipes = source;

    /// <summary>The gateway's hook: refusals at its limits since start, by limit (tag <c>limit</c>).</summary>
    public void ObserveGatewayRefusals(Func<IEnumerable<Measurement<long>>>? source) => _gatewayRefusals = source;

    /// <summary>Reports <paramref name="source"/> as <c>fastrelay.connections.active</c>; null stops reporting.</summary>
    public void ObserveActiveConnections(Func<long>? source) => _activeConnections = source;

    /// <summary>The tunnel's hook: open tunnel connections per gateway (tag <c>gateway</c>).</summary>
    public void ObserveTunnelConnections(Func<IEnumerable<Measurement<long>>>? source) => _tunnelConnections = source;

    /// <summary>The audit log's hook: records queued for the writer, and bytes spooled.</summary>
    public void ObserveAudit(Func<long>? queueDepth, Func<long>? spoolBytes) => (_auditQueueDepth, _auditSpoolBytes) = (queueDepth, spoolBytes);

    /// <summary>The audit log's hook: cumulative record counts by outcome (tag <c>outcome</c>).</summary>
    public void ObserveAuditRecords(Func<IEnumerable<Measurement<long>>>? source) => _auditRecords = source;

    /// <summary>The balancing hook: per route backend (tags <c>service</c>, <c>backend</c>), health 1/0, outstanding sessions, ejections.</summary>
    public void ObserveBackends(Func<IEnumerable<Measurement<long>>>? healthy, Func<IEnumerable<Measurement<long>>>? outstanding, Func<IEnumerable<Measurement<long>>>? ejections) =>
        (_backendHealthy, _backendOutstanding, _backendEjections) = (healthy, outstanding, ejections);

    /// <summary>The TLS hook: seconds until expiry per certificate (tag <c>certificate</c>: its subject).</summary>
    public void ObserveCertificateExpiry(Func<IEnumerable<Measurement<double>>>? source) => _certificateExpiry = source;

    /// <summary>Counts a connection accepted on a listener of <paramref name="service"/>.</summary>
    public void ConnectionAccepted(string service) => _accepted.Add(1, new KeyValuePair<string, object?>("service", service));

    /// <summary>Counts a connection's end.</summary>
    public void ConnectionClosed(CloseReason reason) => _closed.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames[(int)reason]));

    /// <summary>Adds the bytes a closed connection forwarded.</summary>
    public void BytesRelayed(long clientToUpstream, long upstreamToClient)
    {
        _bytes.Add(clientToUpstream, new KeyValuePair<string, object?>("direction", "client_to_upstream"));
        _bytes.Add(upstreamToClient, new KeyValuePair<string, object?>("direction", "upstream_to_client"));
    }

    /// <summary>Counts a security-group decision; <paramref name="group"/> empty and <paramref name="rule"/> "default-deny" for the default deny.</summary>
    public void Decision(Checkpoint checkpoint, string group, string rule, bool allowed) => _decisions.Add(1,
        new KeyValuePair<string, object?>("checkpoint", CheckpointNames[(int)checkpoint]),
        new KeyValuePair<string, object?>("group", group),
        new KeyValuePair<string, object?>("rule", rule),
        new KeyValuePair<string, object?>("verdict", allowed ? "allow" : "deny"));

    /// <summary>Counts a connection refused by the token bucket; <paramref name="cause"/> is a constant (bucket_empty, table_full).</summary>
    public void RateLimitRejected(string service, string cause) => _rateLimitRejections.Add(1,
        new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("cause", cause));

    /// <summary>Counts a failed TLS handshake.</summary>
    public void TlsHandshakeFailed(CloseReason reason) => _tlsHandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames[(int)reason]));

    /// <summary>Records the time one upstream connect took.</summary>
    public void UpstreamConnected(string service, TimeSpan elapsed) => _connectDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("service", service));

    /// <summary>Records the time one successful TLS handshake took.</summary>
    public void TlsHandshakeCompleted(string service, TimeSpan elapsed) => _tlsHandshakeDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("service", service));

    /// <summary>Records a session's length.</summary>
    public void SessionEnded(string service, TimeSpan duration) => _sessionDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("service", service));

    /// <summary>The tunnel's hook: one ping's round trip.</summary>
    public void TunnelPinged(string gateway, TimeSpan rtt) => _tunnelPingRtt.Record(rtt.TotalSeconds, new KeyValuePair<string, object?>("gateway", gateway));

    /// <summary>The tunnel's hook: a stream was opened.</summary>
    public void TunnelStreamOpened(string gateway) => _tunnelStreams.Add(1, new KeyValuePair<string, object?>("gateway", gateway));

    /// <summary>The tunnel's hook: a session was rekeyed.</summary>
    public void TunnelRekeyed(string gateway) => _tunnelRekeys.Add(1, new KeyValuePair<string, object?>("gateway", gateway));

    /// <summary>The tunnel's hook: a handshake with a gateway (edge) or from an edge (gateway) ended.</summary>
    public void TunnelHandshake(string gateway, bool succeeded) => _tunnelHandshakes.Add(1,
        new KeyValuePair<string, object?>("gateway", gateway), new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "failed"));

    /// <summary>
    /// A handshake counted <c>ok</c> on our side that the gateway then refused (GOAWAY AUTH_FAILED before any stream):
    /// outcome <c>refused</c>, so the same handshake is never counted <c>ok</c> and <c>failed</c> both.
    /// </summary>
    public void TunnelHandshakeRefused(string gateway) => _tunnelHandshakes.Add(1,
        new KeyValuePair<string, object?>("gateway", gateway), new KeyValuePair<string, object?>("outcome", "refused"));

    /// <summary>Starts the counters of <paramref name="services"/> at zero, so a dashboard sees them before the first connection.</summary>
    public void Seed(IEnumerable<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var service in services)
        {
            _accepted.Add(0, new KeyValuePair<string, object?>("service", service));
        }

        BytesRelayed(0, 0);
    }

    /// <inheritdoc />
    public void Dispose() => Meter.Dispose();

    private static IEnumerable<Measurement<long>> Observe(Func<long>? source) =>
        source is null ? [] : [new Measurement<long>(source())];

    private static IEnumerable<Measurement<T>> Observe<T>(Func<IEnumerable<Measurement<T>>>? source)
        where T : struct => source?.Invoke() ?? [];
}

/// <summary>Histogram creation with bucket advice (the exporter uses the advised boundaries).</summary>
internal static class MeterExtensions
{
    public static Histogram<double> CreateHistogram(this Meter meter, string name, string unit, string description, double[] buckets) =>
        meter.CreateHistogram(name, unit, description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}
