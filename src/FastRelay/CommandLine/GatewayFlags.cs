using FastRelay.Audit;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// The flags of <c>fastrelay gateway</c>, the exit node (cli.md; README "Tunnel and gateway"). Every one may also
/// come from <c>--config FILE</c>.
/// </summary>
internal static class GatewayFlags
{
    public static readonly IReadOnlyList<FlagSpec> All =
    [
        new("listen", "ADDR:PORT", "The address edges connect their tunnels to (IPv6 as [ADDR]:PORT; port 0 picks a free port, logged) [default: none, required]"),
        new("tunnel-key", "FILE", "This node's static X25519 private key, written by fastrelay keygen --out FILE [default: none, required]"),
        new("edge-key", "BASE64", "A pinned edge public key (what fastrelay keygen printed for it); an edge whose key is not listed is refused. Repeatable; or use --tunnel-ca. A reload (SIGHUP, POST /reload) installs a changed list at once and closes the tunnels of edges no longer listed [default: none]", Repeatable: true),
        .. TunnelFlags.Shared,
        new("policy", "FILE", "Security groups (policy-format.md): each stream's target is checked against the Outbound rules (every resolved address; no match means Deny) before it is dialled; a denied stream is refused (FORBIDDEN_TARGET). Reloaded when the file changes and on SIGHUP [default: none; required unless --allow-any-target]"),
        new("recheck-established", "true|false", "After a --policy reload (file change, SIGHUP, POST /reload), check every open stream's target against the new Outbound rules and close the ones they deny (reason FilterDenied, with the rule in the close row). Without it a reload changes new streams only [default: false]", Switch: true),
        new("allow-any-target", "true|false", "Dial any target an authenticated edge names, without a policy. This lets every edge reach every address this host can (SSRF): give --policy instead wherever you can [default: false]", Switch: true),
        new("connect-timeout", "DURATION", $"Time for one dial to a stream's target; then the stream is refused (CONNECT_TIMEOUT) [default: {ValueSyntax.FormatDuration(EdgeOptions.DefaultConnectTimeout)}]"),
        new("max-streams", "N", $"Streams open at once across every edge (each holds one target socket; dials in flight count); more are refused with REFUSED_STREAM, which the edge retries on another gateway, never dialled; 0 = as many as the open-file limit allows, and a larger value is lowered to fit it [default: 0]"),
        new("max-handshakes", "N", $"Tunnel handshakes in flight at once (accepted, not yet authenticated); more are closed at once [default: {GatewayOptions.DefaultMaxHandshakes}]"),
        new("max-handshakes-per-source", "N", $"Of those, in flight at once from one source address (so filling every slot takes --max-handshakes / N addresses; each IPv6 address counts alone); 0 = no per-source bound [default: {GatewayOptions.DefaultMaxHandshakesPerSource}]"),
        new("handshake-rate", "RATE", $"New tunnel connections per source address, e.g. 20/s; over it a connection is closed before any key exchange [default: {GatewayOptions.DefaultHandshakeRate.RefillPerSecond:0}/s]"),
        new("handshake-burst", "N", $"Handshakes a source may start at once [default: {GatewayOptions.DefaultHandshakeRate.Burst}, or twice one second of --handshake-rate]"),
        new("drain-timeout", "DURATION", $"On SIGTERM/SIGINT: GOAWAY to every edge (they move new sessions elsewhere), then open streams get this long to finish [default: {ValueSyntax.FormatDuration(EdgeOptions.DefaultDrainTimeout)}]"),
        new("node-name", "NAME", "Name sent to edges in the handshake (their logs) [default: the host name]"),
        new("audit", "sqlite:PATH|postgres:CONNSTR|jsonl:PATH|off", $"Audit log: one record per stream decision and per stream close [default: {GatewayOptions.DefaultAuditText}]"),
        new("audit-node", "NAME", "Node name written to every audit record [default: the host name]"),
        new("audit-spool", "DIR", $"Local spool for audit records while the database is unreachable [default: {GatewayOptions.DefaultAuditSpool}]"),
        new("audit-queue", "N", $"Audit records queued between the streams and the writer [default: {AuditOptions.DefaultQueueCapacity}]"),
        new("audit-overflow", "spool|drop|block", "When the audit queue is full: spool, drop (counted) or block [default: spool]"),
        new("audit-flush-timeout", "DURATION", $"On shutdown, time the audit writer gets to flush [default: {ValueSyntax.FormatDuration(AuditOptions.DefaultFlushTimeout)}]"),
        new("admin", "ADDR:PORT|off", $"Admin HTTP endpoint: GET /metrics, /healthz, /readyz, /status; POST /drain, POST /reload (the flags and --config file validated again, 422 on errors; --edge-key, the policy and the CRLs reloaded; other changes named, for a restart). Port 0 picks a free port (logged) [default: {GatewayOptions.DefaultAdmin}]"),
        new("log-format", "text|json", "Diagnostic log format [default: text]"),
        new("log-level", "LEVEL", "trace|debug|information|warning|error|critical|none; debug logs one line per stream [default: information]"),
    ];
}
