using FastRelay.Audit;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// The flags of <c>fastrelay edge</c>. The names are public surface (../shared/design/cli.md): users'
/// scripts and unit files depend on them. Every one may also come from <c>--config FILE</c>.
/// </summary>
internal static class EdgeFlags
{
    public static readonly IReadOnlyList<FlagSpec> All =
    [
        new("listen", "[SERVICE@]ADDR:PORT",
            "A listener; SERVICE is the route for its clients (may be left out when there is one route). With TLS, the SNI name picks the route (a --route of that name, any case); SERVICE is then the default for clients whose name matches no route or who send none, and a listener without SERVICE refuses them. Repeatable [default: none, at least one required].", Repeatable: true),
        new("route", "SERVICE=[tunnel:]HOST:PORT[;weight=N][,...]",
            "A route: the targets that serve SERVICE. Equal weights: power-of-two-choices on outstanding sessions; unequal: weight N is the share of new sessions (weighted round-robin leaning away from busy targets); down or ejected targets are skipped, a failed connect is retried on a different target (--retries). tunnel:HOST:PORT goes through a --gateway, which resolves and dials HOST. Reloaded (targets and weights) on SIGHUP and POST /reload. Repeatable [default: none, at least one required].", Repeatable: true),
        new("discovery", "SERVICE=URL",
            "Service discovery for a route: GET URL?service=SERVICE&client=IP answers the targets for that client (JSON [\"HOST:PORT\", ...] or {\"targets\": [...]}, or text, one [tunnel:]HOST:PORT[;weight=N] per line). The answer is cached per (client IP, service) and refreshed in the background; the route's --route targets are the default backends when discovery fails or times out. Repeatable, one per service [default: none]", Repeatable: true),
        new("discovery-ttl", "DURATION", $"How long a discovery answer for a (client IP, service) is fresh; an expired one is still served while one background request renews it [default: 60s]"),
        new("discovery-timeout", "DURATION", $"Time for one discovery request; past it the default backends serve (only the first client of a key with nothing cached waits, at most this long) [default: {ValueSyntax.FormatDuration(DiscoveryOptions.DefaultTimeout)}]"),
        new("discovery-cache-size", "N", $"Most (client IP, service) answers kept; the least recently used is dropped past it, so a scan of client addresses cannot grow memory [default: {DiscoveryOptions.DefaultCacheSize}]"),
        new("dns-server", "ADDR:PORT", "DNS server for DNS-name targets (A and AAAA, cached for the record's TTL within --dns-min-ttl..--dns-max-ttl, re-resolved in the background; the last addresses are kept while the server fails). Repeatable [default: the servers of /etc/resolv.conf, then /etc/hosts]", Repeatable: true),
        new("dns-min-ttl", "DURATION", $"Floor of a DNS answer's cache lifetime (a TTL of 0 does not mean one query per connection) [default: {ValueSyntax.FormatDuration(DnsOptions.DefaultMinTtl)}]"),
        new("dns-max-ttl", "DURATION", $"Ceiling of a DNS answer's cache lifetime (a moved backend is picked up within it whatever the TTL) [default: {ValueSyntax.FormatDuration(DnsOptions.DefaultMaxTtl)}]"),
        new("connect-timeout", "DURATION", $"Time allowed for one upstream connect [default: {ValueSyntax.FormatDuration(EdgeOptions.DefaultConnectTimeout)}]"),
        new("retries", "N", $"A session whose dial failed before any byte was relayed (refused, unreachable, timed out; a tunnel stream refused, or the gateway's dial of the target failed) is tried again on up to N different targets (a tunnel stream first on a different gateway), all within --connect-timeout; a policy denial is never retried; 0..10, 0 = no retry [default: {EdgeOptions.DefaultRetries}]"),
        new("idle-timeout", "DURATION", $"Close a connection after this long with no bytes either way; 0 = never [default: {ValueSyntax.FormatDuration(EdgeOptions.DefaultIdleTimeout)}]"),
        new("max-connections", "N", $"Connections open at once; more are accepted and closed at once [default: {EdgeOptions.DefaultMaxConnections}]"),
        new("max-connections-per-source", "N", "Connections open at once from one client address; more are accepted and closed at once (SourceConnectionLimit), so one source cannot take every slot; 0 = no limit [default: 0]"),
        new("drain-timeout", "DURATION", $"On SIGTERM/SIGINT, time open connections get to finish [default: {ValueSyntax.FormatDuration(EdgeOptions.DefaultDrainTimeout)}]"),
        new("buffer-size", "SIZE", "Size of one socket read and buffer block, 4KiB..1MiB [default: 64KiB]"),
        new("data-path", "epoll|pipes", "How plain TCP connections move their bytes: epoll runs one event loop per core that reads each socket and sends to the other from the loop thread (small reads: one recv and one send per chunk; bulk flows splice, see --splice; Linux x86-64, elsewhere pipes); pipes uses the runtime's async sockets with a pipe per direction. TLS connections, tunnel streams and --bandwidth always use pipes [default: epoll]"),
        new("splice", "on|off", $"On the epoll data path, a flow whose read fills a whole --buffer-size block is bulk and moves through a kernel pipe with splice(2) from then on: the relay copies nothing (HAProxy's splicing). At most {FastRelay.Transport.Epoll.SplicePipes.DefaultMax} pipes (two descriptors each, reserved within the descriptor limit); a flow that finds none copies. off: every byte is read and sent [default: on]"),
        new("backlog", "N", $"Listen backlog of each listener [default: {EdgeOptions.DefaultBacklog}]"),
        new("policy", "FILE", "Security groups (policy-format.md): every connection is checked at accept (Inbound) and before each dial (Outbound); no matching rule means Deny. Reloaded when the file changes and on SIGHUP [default: none, everything allowed]"),
        new("recheck-established", "true|false", "After a --policy reload (file change, SIGHUP, POST /reload), decide the established connections again with the new policy (Inbound with the client, listener, identity and route; Outbound with the upstream dialled) and close the ones it denies (reason FilterDenied, with the rule in the close row). Without it a reload changes new connections only [default: false]", Switch: true),
        new("conn-rate", "RATE", "Token bucket on new connections, e.g. 100/s or 5000/m; over it a connection is closed at once (RateLimited) [default: off]"),
        new("conn-burst", "N", "Connections the bucket grants at once [default: one second of --conn-rate]"),
        new("rate-key", "source-ip|identity|service", "What the connection buckets are keyed by; identity (the client certificate's CN, else its first SAN, else its fingerprint) needs --client-ca and is decided after the handshake [default: source-ip]"),
        new("bandwidth", "BYTES/s", "Shape each direction of every connection to this rate, e.g. 10MiB/s; pumps wait, nothing spins [default: off]"),
        new("tls-cert", "FILE", "Server certificate (PEM, leaf first, then intermediates); with --tls-key, every listener speaks TLS 1.3/1.2 (AEAD suites only). Reloaded when it changes and on SIGHUP [default: none, plain TCP]"),
        new("tls-key", "FILE", "The server certificate's private key (PEM, ECDSA or RSA, unencrypted) [default: none]"),
        new("client-ca", "FILE", "CA bundle (PEM): clients must then present a certificate that chains to it (only it: never the system store), in date, with clientAuth usage. Reloaded when it changes and on SIGHUP [default: none, no client certificates]"),
        new("allow-cn", "PATTERN", "Client certificates must have a subject CN matching one --allow-cn or --allow-san (* wildcard, case-insensitive). Repeatable [default: any]", Repeatable: true),
        new("allow-san", "[DNS:|URI:|IP:]PATTERN", "Client certificates must have a SAN matching one --allow-san or --allow-cn (* wildcard; no prefix: any kind). Repeatable [default: any]", Repeatable: true),
        new("ocsp-staple", "auto|off|FILE", "OCSP stapling of the server certificate: auto fetches from its responder (AIA) and refreshes before nextUpdate; off never staples; FILE staples a DER OCSP response you provide, checked for this certificate and re-read when it changes (Linux) [default: auto]"),
        new("tls-handshake-timeout", "DURATION", $"Time a client gets to complete the TLS handshake; a silent or slow one is closed (TlsHandshakeFailed) [default: {ValueSyntax.FormatDuration(TlsOptions.DefaultHandshakeTimeout)}]"),
        new("crl", "FILE", "A CRL (PEM or DER) signed by a CA of --client-ca; a client certificate it lists is refused. Reloaded when the file changes; a bad file keeps the old CRL. Repeatable [default: none]", Repeatable: true),
        new("revocation", "off|soft-fail|hard-fail", "When a client certificate's status is unknown (no CRL for its issuer, OCSP responder down, CRL past nextUpdate): soft-fail allows and logs why, hard-fail refuses. Revoked is refused unless off [default: soft-fail]"),
        new("ocsp-timeout", "DURATION", $"Time for one OCSP request to the responder in a client certificate's AIA (answers are cached until nextUpdate); 0 = no OCSP, CRLs only [default: {ValueSyntax.FormatDuration(RevocationOptions.DefaultOcspTimeout)}]"),
        new("gateway", "ADDR:PORT", "An exit node (fastrelay gateway) for the routes' tunnel:HOST:PORT targets; all are active, new streams are spread across them. Without one (and no tunnel: route) the other tunnel flags are checked, then ignored with a warning. Repeatable [default: none]", Repeatable: true),
        new("tunnel-key", "FILE", "This node's static X25519 private key, written by fastrelay keygen --out FILE [default: none; required with --gateway]"),
        new("gateway-key", "BASE64", "A pinned gateway public key (what fastrelay keygen printed for it); a gateway whose key is not listed is refused. Repeatable; or use --tunnel-ca [default: none]", Repeatable: true),
        .. TunnelFlags.Shared,
        new("keepalive", "N", $"Idle tunnel connections kept per gateway; idle ones beyond it are closed at once [default: {EdgeTunnelOptions.DefaultKeepalive}]"),
        new("keepalive-timeout", "DURATION", $"Idle tunnel connection lifetime: one with no stream for this long is closed, down to --tunnel-prewarm [default: {ValueSyntax.FormatDuration(EdgeTunnelOptions.DefaultKeepaliveTimeout)}]"),
        new("keepalive-requests", "N", $"Streams one tunnel connection carries before it is drained (GOAWAY, its streams finish) and replaced in the background; 0 = no limit [default: {EdgeTunnelOptions.DefaultKeepaliveRequests}]"),
        new("tunnel-prewarm", "N", $"Tunnel connections dialled per gateway at start and kept ready, so no new session waits for a handshake (at most --keepalive); 0 dials on demand (a gateway whose dial failed is probed until it answers) [default: {EdgeTunnelOptions.DefaultPrewarm}]"),
        new("tunnel-connect-timeout", "DURATION", $"Time for one tunnel connection: TCP connect plus the Noise handshake; a failed gateway is redialled with backoff (100ms doubling to 10s, jittered) [default: {ValueSyntax.FormatDuration(EdgeTunnelOptions.DefaultConnectTimeout)}]"),
        new("health-check", "tcp|off", "Active health checks of the direct targets of the routes and of recent discovery answers: tcp connects every --health-interval (plus --health-send/--health-expect when given); a target is down after --health-fall failed checks in a row, up after --health-rise passed [default: off]"),
        new("health-interval", "DURATION", $"Time between two checks of one target [default: {ValueSyntax.FormatDuration(BalancingOptions.DefaultHealthInterval)}]"),
        new("health-timeout", "DURATION", $"Time one check may take (connect, send, expect) [default: {ValueSyntax.FormatDuration(BalancingOptions.DefaultHealthTimeout)}]"),
        new("health-rise", "N", $"Passed checks in a row that bring a down target up [default: {BalancingOptions.DefaultHealthRise}]"),
        new("health-fall", "N", $"Failed checks in a row that take an up target down [default: {BalancingOptions.DefaultHealthFall}]"),
        new("health-send", "TEXT", "Bytes a check sends after connecting; C escapes \\r \\n \\t \\0 \\\\ \\xHH are decoded [default: none]"),
        new("health-expect", "TEXT", "Text the reply must contain (escapes as --health-send), read until found, FIN or --health-timeout [default: none, a connect is enough]"),
        new("eject-after", "N", $"Failed connects in a row (refused, timed out, unreachable) that eject a target from new sessions; 0 = never [default: {BalancingOptions.DefaultEjectAfter}]"),
        new("eject-time", "DURATION", $"How long an ejection lasts; each further ejection in a row doubles it, up to {ValueSyntax.FormatDuration(BalancingOptions.MaxEjectTime)} [default: {ValueSyntax.FormatDuration(BalancingOptions.DefaultEjectTime)}]"),
        new("audit", "sqlite:PATH|postgres:CONNSTR|jsonl:PATH|off",
            $"Audit log: one record per decision (README \"Audit log\"). postgres:CONNSTR is an Npgsql connection string (Host=db;Username=relay;Password=...;Database=audit) [default: {AuditTarget.DefaultText}]"),
        new("audit-node", "NAME", "Node name written to every audit record [default: the host name]"),
        new("audit-spool", "DIR", $"Local spool: records wait here while the audit database is unreachable, and are replayed in order when it is back [default: {AuditOptions.DefaultSpoolDirectory}]"),
        new("audit-queue", "N", $"Audit records queued between the connections and the writer [default: {AuditOptions.DefaultQueueCapacity}]"),
        new("audit-overflow", "spool|drop|block", "When the audit queue is full: spool (write the record to the spool, nothing is lost), drop (count and lose it), block (the connection waits) [default: spool]"),
        new("audit-flush-timeout", "DURATION", $"On shutdown, time the audit writer gets to flush; what is left stays in the spool for the next start [default: {ValueSyntax.FormatDuration(AuditOptions.DefaultFlushTimeout)}]"),
        new("admin", "ADDR:PORT|off", "Admin HTTP endpoint: GET /metrics (Prometheus), /healthz, /readyz, /status (JSON); POST /reload, /drain (POST from loopback only unless ADDR is not loopback). Port 0 picks a free port (logged) [default: 127.0.0.1:9901]"),
        new("handoff", "PATH", "Unix socket for zero-downtime restarts: a new edge started with the same PATH takes over the listening sockets of the one running, which then drains and exits (README, \"Operating\") [default: off]"),
        new("log-format", "text|json", "Diagnostic log format; json is one object per line, connection lines carry ConnectionId [default: text]"),
        new("log-level", "LEVEL", "trace|debug|information|warning|error|critical|none; debug logs one line per closed connection [default: information]"),
    ];

    /// <summary>
    /// Flags of cli.md that belong to pieces not built yet, with the piece that brings them. They are
    /// accepted by the parser (hidden from --help) only to be refused with that explanation: silently
    /// ignoring --tls-cert or --policy would run an unprotected relay the user believes is protected.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Planned = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Empty since the tunnel (issue 5): every flag of cli.md's edge is built. Kept for the next piece.
    };

    /// <summary>The error for a planned flag.</summary>
    public static string PlannedError(string name) =>
        $"not available in this version of FastRelay (it comes with {Planned[name]}); remove it to run without it";
}
