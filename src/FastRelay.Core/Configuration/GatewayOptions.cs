using System.Net;
using FastRelay.Audit;
using FastRelay.RateLimiting;

namespace FastRelay.Configuration;

/// <summary>
/// Everything <c>fastrelay gateway</c> (the exit node) runs on, validated and immutable. Built by
/// <see cref="GatewayOptionsReader"/> from flags and the config file.
/// </summary>
public sealed record GatewayOptions
{
    /// <summary>Default for <see cref="MaxHandshakes"/> (tunnel.md §4.1).</summary>
    public const int DefaultMaxHandshakes = 128;

    /// <summary>
    /// Default for <see cref="MaxHandshakesPerSource"/>: a quarter of the default <see cref="MaxHandshakes"/>, so one
    /// address (which the per-source rate lets start 40 at once and 20 a second, each held up to the 5 s handshake
    /// timeout) cannot hold every half-open slot, and an edge warming its whole default pool (32) still fits.
    /// </summary>
    public const int DefaultMaxHandshakesPerSource = 32;

    /// <summary>
    /// Default for <see cref="HandshakeRate"/>: 20 handshakes a second per source address, burst 40. An edge's
    /// pool dials a few connections at start and one now and then; an XX handshake costs the exit two X25519
    /// operations (about 0.4 ms here), so this bounds one source to under 2 % of a core.
    /// </summary>
    public static readonly TokenBucketOptions DefaultHandshakeRate = new(20, 40);

    /// <summary>Default for <see cref="Admin"/>: next to the edge's 9901, so both run on one host.</summary>
    public static readonly IPEndPoint DefaultAdmin = new(IPAddress.Loopback, 9902);

    /// <summary>Default <c>--audit</c>: its own database, so an edge and a gateway can share a working directory.</summary>
    public const string DefaultAuditText = "sqlite:fastrelay-gateway-audit.db";

    /// <summary>Default <c>--audit-spool</c>: one spool per process (README "Audit log").</summary>
    public const string DefaultAuditSpool = "fastrelay-gateway-audit-spool";

    /// <summary>The audit settings a gateway starts from: <see cref="DefaultAuditText"/> and <see cref="DefaultAuditSpool"/>.</summary>
    public static readonly FastRelay.Audit.AuditOptions DefaultAudit = new()
    {
        Target = new FastRelay.Audit.AuditTarget(FastRelay.Audit.AuditSinkKind.Sqlite, "fastrelay-gateway-audit.db"),
        SpoolDirectory = DefaultAuditSpool,
    };

    /// <summary>The address tunnels are accepted on.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>This node's key and how edges are authenticated (<c>--edge-key</c> or <c>--tunnel-ca</c>).</summary>
    public required TunnelIdentityOptions Identity { get; init; }

    /// <summary>Announced settings: streams per connection, ping interval, rekey interval.</summary>
    public TunnelSessionOptions Session { get; init; } = new();

    /// <summary>The security-group policy whose Outbound rules decide which targets may be dialled.</summary>
    /// <remarks>Required unless <see cref="AllowAnyTarget"/>: an exit that dials anything for an authenticated edge is an SSRF hole.</remarks>
    public string? PolicyFile { get; init; }

    /// <summary><c>--recheck-established</c>: after a policy reload, open streams whose target the new Outbound rules deny are reset.</summary>
    public bool RecheckEstablished { get; init; }

    /// <summary>Dial any target without a policy (<c>--allow-any-target</c>): an explicit choice, never a default.</summary>
    public bool AllowAnyTarget { get; init; }

    /// <summary>Time for one dial to a stream's target.</summary>
    /// <remarks>Defaults to 5s.</remarks>
    public TimeSpan ConnectTimeout { get; init; } = EdgeOptions.DefaultConnectTimeout;

    /// <summary>
    /// Default for <see cref="MaxStreams"/>: 0, as many as the open-file limit allows (the gateway serves every edge,
    /// so one edge's --max-connections is no measure for it; HAProxy derives its maxconn from the limit the same way).
    /// </summary>
    public const int DefaultMaxStreams = 0;

    /// <summary>
    /// Streams open at once across every edge, each holding one target socket (a dial in flight counts); an OPEN over it
    /// is refused with REFUSED_STREAM, which an edge retries on another gateway (the target was never dialled).
    /// </summary>
    /// <remarks>0 (the default): bounded by the open-file limit only. A value above what the limit allows is lowered at start.</remarks>
    public int MaxStreams { get; init; } = DefaultMaxStreams;

    /// <summary>
    /// Descriptors the gateway may hold for tunnels (half-open ones included) and target sockets together; a tunnel
    /// accepted over it is closed at once, an OPEN refused. Not a flag: fitted at start to the open-file limit, so the
    /// process never runs out (the runtime itself dies without descriptors).
    /// </summary>
    public int DescriptorBudget { get; init; } = int.MaxValue;

    /// <summary>Handshakes in flight at once (accepted, not yet authenticated); more are closed at once.</summary>
    /// <remarks>Defaults to 128.</remarks>
    public int MaxHandshakes { get; init; } = DefaultMaxHandshakes;

    /// <summary>Handshakes in flight at once from one source address; more from it are closed at once. 0: no per-source bound.</summary>
    /// <remarks>Defaults to 32.</remarks>
    public int MaxHandshakesPerSource { get; init; } = DefaultMaxHandshakesPerSource;

    /// <summary>Token bucket on new tunnel connections per source address; over it a connection is closed before any DH.</summary>
    /// <remarks>Defaults to 20/s, burst 40.</remarks>
    public TokenBucketOptions HandshakeRate { get; init; } = DefaultHandshakeRate;

    /// <summary>On SIGTERM: GOAWAY to every edge, then open streams get this long to finish.</summary>
    /// <remarks>Defaults to 30s.</remarks>
    public TimeSpan DrainTimeout { get; init; } = EdgeOptions.DefaultDrainTimeout;

    /// <summary>The audit log: one record per stream decision and per stream close.</summary>
    public AuditOptions Audit { get; init; } = new();

    /// <summary>The admin endpoint (/metrics, /healthz, /readyz, /status, POST /drain); null when off.</summary>
    /// <remarks>Defaults to 127.0.0.1:9902.</remarks>
    public IPEndPoint? Admin { get; init; } = DefaultAdmin;

    /// <summary>The node name sent to edges in the handshake (their logs) and written to audit records.</summary>
    public string? NodeName { get; init; }

    /// <summary>Settings that were valid but have no effect here; logged as warnings at start.</summary>
    public IReadOnlyList<ConfigError> Ignored { get; init; } = [];

    /// <summary>Diagnostic log settings.</summary>
    public LogOptions Log { get; init; } = new();
}
