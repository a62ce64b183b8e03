using FastRelay.Audit;
using FastRelay.RateLimiting;
using Microsoft.Extensions.Logging;

namespace FastRelay.Configuration;

/// <summary>
/// Everything <c>fastrelay edge</c> runs on, validated and immutable. Built by <see cref="EdgeOptionsReader"/>
/// from flags and the config file; each runtime object takes only its own slice.
/// </summary>
public sealed record EdgeOptions
{
    /// <summary>Default for <see cref="ConnectTimeout"/>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default for <see cref="IdleTimeout"/> (nginx stream's proxy_timeout is 10m).</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Default for <see cref="DrainTimeout"/>.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default for <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 10_000;

    /// <summary>Default for <see cref="BufferBytes"/>: 64 KiB reads cost a third of the CPU of 4 KiB reads (bench/README.md).</summary>
    public const int DefaultBufferBytes = 64 * 1024;

    /// <summary>Default for <see cref="Backlog"/>.</summary>
    public const int DefaultBacklog = 1024;

    /// <summary>The listeners, at least one.</summary>
    public required IReadOnlyList<ListenerOptions> Listeners { get; init; }

    /// <summary>The routes by service name; every listener's service has one.</summary>
    public required IReadOnlyList<RouteOptions> Routes { get; init; }

    /// <summary>How long a dial to one upstream target may take before the next target is tried.</summary>
    /// <remarks>Defaults to 5s.</remarks>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>Default for <see cref="Retries"/>: once, as nginx's <c>proxy_next_upstream_tries 2</c>.</summary>
    public const int DefaultRetries = 1;

    /// <summary>
    /// How many times a session whose dial failed before any byte was relayed (connect refused, unreachable, timed
    /// out; a tunnel stream refused, or whose gateway could not dial the target) is tried again on a different
    /// target, all within <see cref="ConnectTimeout"/>. A policy denial is never retried. Zero turns retries off.
    /// </summary>
    /// <remarks>Defaults to 1: bounded, so a failing fleet sees at most twice its load and a client at most one extra dial.</remarks>
    public int Retries { get; init; } = DefaultRetries;

    /// <summary>A connection with no bytes either way for this long is closed; zero turns it off.</summary>
    /// <remarks>Defaults to 10m.</remarks>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Connections open at once across all listeners; the next one is accepted and closed at once.</summary>
    /// <remarks>Defaults to 10000.</remarks>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// Connections open at once from one client address (IPv4, or IPv6 in full); the next one from that address is
    /// accepted and closed at once (<c>SourceConnectionLimit</c>). Zero turns it off.
    /// </summary>
    /// <remarks>Defaults to 0 (off), as nginx's <c>limit_conn</c> and HAProxy's <c>src_conn_cur</c> are off until configured:
    /// clients behind one NAT share an address.</remarks>
    public int MaxConnectionsPerSource { get; init; }

    /// <summary>On SIGTERM/SIGINT, how long open connections may finish before they are closed.</summary>
    /// <remarks>Defaults to 30s.</remarks>
    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    /// <summary>The size of one socket read and of one pooled buffer block.</summary>
    /// <remarks>Defaults to 64 KiB.</remarks>
    public int BufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>How plain TCP connections move their bytes (<c>--data-path</c>).</summary>
    /// <remarks>Defaults to <see cref="DataPath.Epoll"/>; TLS connections, tunnel streams and <c>--bandwidth</c> always use pipes.</remarks>
    public DataPath DataPath { get; init; } = DataPath.Epoll;

    /// <summary>Whether bulk flows on the epoll path splice (<c>--splice</c>).</summary>
    /// <remarks>Defaults to <see cref="SpliceMode.On"/>; it has no effect on the pipe path.</remarks>
    public SpliceMode Splice { get; init; } = SpliceMode.On;

    /// <summary>The listen backlog of each listener.</summary>
    /// <remarks>Defaults to 1024.</remarks>
    public int Backlog { get; init; } = DefaultBacklog;

    /// <summary>The security-group policy file (policy-format.md); null for none (every connection allowed).</summary>
    /// <remarks>Defaults to none. Core does not read it: the exe loads and reloads it.</remarks>
    public string? PolicyFile { get; init; }

    /// <summary>
    /// <c>--recheck-established</c>: after a policy reload, established connections are decided again by the new
    /// policy and the ones it denies are closed (FilterDenied). Off by default: a reload changes new connections only.
    /// </summary>
    public bool RecheckEstablished { get; init; }

    /// <summary>Token bucket on new connections (<c>--conn-rate</c>, <c>--conn-burst</c>, <c>--rate-key</c>); null for none.</summary>
    /// <remarks>Defaults to none.</remarks>
    public ConnectionRateOptions? ConnectionRate { get; init; }

    /// <summary>Per-connection shaping of each direction (<c>--bandwidth</c>); null for none.</summary>
    /// <remarks>Defaults to none.</remarks>
    public BandwidthOptions? Bandwidth { get; init; }

    /// <summary>The audit log (<c>--audit</c> and <c>--audit-*</c>): one record per decision.</summary>
    /// <remarks>Defaults to SQLite in <c>fastrelay-audit.db</c> in the working directory.</remarks>
    public AuditOptions Audit { get; init; } = new();

    /// <summary>TLS on every listener (<c>--tls-cert</c>, <c>--tls-key</c>, <c>--client-ca</c>, …); null for plain TCP.</summary>
    /// <remarks>Defaults to none.</remarks>
    public TlsOptions? Tls { get; init; }

    /// <summary>Revocation checks of client certificates (<c>--revocation</c>, <c>--crl</c>, <c>--ocsp-timeout</c>).</summary>
    /// <remarks>Defaults to soft-fail, no CRLs, OCSP from the certificate's AIA with a 3s timeout.</remarks>
    public RevocationOptions Revocation { get; init; } = new();

    /// <summary>Diagnostic log settings.</summary>
    public LogOptions Log { get; init; } = new();

    /// <summary>The tunnel to the gateways (<c>--gateway</c>, <c>--tunnel-key</c>, <c>--keepalive*</c>, …); null without one.</summary>
    /// <remarks>Defaults to none. Required by any route with a <c>tunnel:</c> target.</remarks>
    public EdgeTunnelOptions? Tunnel { get; init; }

    /// <summary>Settings that were valid but have no effect here (tunnel flags without a gateway); logged as warnings at start.</summary>
    public IReadOnlyList<ConfigError> Ignored { get; init; } = [];

    /// <summary>Backend health and ejection (<c>--health-*</c>, <c>--eject-*</c>): README, "Load balancing and health checks".</summary>
    /// <remarks>Defaults to no active checks, ejection after 3 failed connects in a row for 10s.</remarks>
    public BalancingOptions Balancing { get; init; } = new();

    /// <summary>Service discovery per route (<c>--discovery</c>, <c>--discovery-*</c>): README "Service discovery".</summary>
    /// <remarks>Defaults to none: every route uses its <c>--route</c> targets.</remarks>
    public DiscoveryOptions Discovery { get; init; } = new();

    /// <summary>How DNS-name targets are resolved and cached (<c>--dns-server</c>, <c>--dns-min-ttl</c>, <c>--dns-max-ttl</c>).</summary>
    /// <remarks>Defaults to the system's servers, TTLs clamped to 1s..5m.</remarks>
    public DnsOptions Dns { get; init; } = new();

    /// <summary>Default for <see cref="Admin"/>: loopback port 9901 (Envoy's admin port).</summary>
    public static readonly System.Net.IPEndPoint DefaultAdmin = new(System.Net.IPAddress.Loopback, 9901);

    /// <summary>The admin endpoint (<c>--admin</c>: /metrics, /healthz, /readyz, /status, POST /reload and /drain); null when off.</summary>
    /// <remarks>Defaults to 127.0.0.1:9901. Port 0 lets the OS choose (tests); the bound address is logged.</remarks>
    public System.Net.IPEndPoint? Admin { get; init; } = DefaultAdmin;

    /// <summary>
    /// The Unix socket of the zero-downtime restart (<c>--handoff</c>): a new process started with the same
    /// path takes the listening sockets of the one serving on it, which then drains and exits; null for none.
    /// </summary>
    /// <remarks>Defaults to none.</remarks>
    public string? HandoffPath { get; init; }
}

/// <summary>A listener: the address to bind and the service its clients are routed to.</summary>
/// <param name="Service">The route for clients of this listener (with TLS: for clients whose SNI name names no
/// route); empty for a TLS listener without a default, where the SNI name alone picks the route.</param>
/// <param name="EndPoint">The address to bind; port 0 lets the OS choose (tests).</param>
public sealed record ListenerOptions(string Service, System.Net.IPEndPoint EndPoint);

/// <summary>A route: a service name and the targets that serve it.</summary>
public sealed record RouteOptions(string Service, IReadOnlyList<TargetOptions> Targets);

/// <summary>One upstream target of a route.</summary>
/// <param name="Host">An IP literal or a DNS name (resolved at dial time).</param>
/// <param name="Port">1..65535.</param>
/// <param name="Weight">Relative share of new sessions, 1..100 (<c>;weight=N</c>, default 1).</param>
/// <param name="ViaTunnel">True for <c>tunnel:HOST:PORT</c>: a stream through the gateway pool, which dials it.</param>
public sealed record TargetOptions(string Host, int Port, int Weight, bool ViaTunnel = false)
{
    /// <summary>HOST:PORT without the tunnel prefix (IPv6 in brackets).</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <inheritdoc />
    public override string ToString() => ViaTunnel ? RouteSyntax.TunnelPrefix + Address : Address;
}

/// <summary>The diagnostic log's shape (the audit log is separate).</summary>
/// <param name="Format">Text for people, JSON lines for collectors.</param>
/// <param name="Level">The lowest level written; Debug shows one line per connection close.</param>
public sealed record LogOptions(LogFormat Format = LogFormat.Text, LogLevel Level = LogLevel.Information);

/// <summary>The diagnostic log's line format.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per event.</summary>
    Text,

    /// <summary>One JSON object per line.</summary>
    Json,
}
