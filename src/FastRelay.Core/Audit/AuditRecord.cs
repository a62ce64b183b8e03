using System.Net;
using FastRelay.Diagnostics;

namespace FastRelay.Audit;

/// <summary>
/// One row of the audit log: one decision on one connection (allowed or denied, at one checkpoint) or the
/// close of an allowed connection. The first six fields are the auditors' <c>access_logs</c> columns; the
/// rest sit beside them (README "Audit log" lists every column).
/// </summary>
/// <remarks>
/// A struct of references the connection already holds, so that queueing one copies and allocates nothing
/// (bench: <c>AuditObserverBench</c>). Immutable; safe to share between threads.
/// </remarks>
public readonly record struct AuditRecord
{
    /// <summary><c>record_id</c>: unique across nodes and time-ordered (UUIDv7 layout, <see cref="AuditRecordIds"/>); makes replay idempotent.</summary>
    public required Guid RecordId { get; init; }

    /// <summary><c>timestamp</c>: when the decision was taken, in UTC (the column has no time zone: it is always UTC).</summary>
    public required DateTime Timestamp { get; init; }

    /// <summary><c>node</c>: the node that decided (<c>--audit-node</c>, default the host name).</summary>
    public required string Node { get; init; }

    /// <summary><c>connection_id</c>: the connection's id, as in the diagnostic log.</summary>
    public required long ConnectionId { get; init; }

    /// <summary><c>action</c>: the checkpoint that decided.</summary>
    public required AuditAction Action { get; init; }

    /// <summary><c>verdict</c>: true when allowed (always true for <see cref="AuditAction.Close"/>).</summary>
    public required bool Verdict { get; init; }

    /// <summary><c>src_ip</c> and <c>src_port</c>: the client; null only if the socket lost its address.</summary>
    public IPEndPoint? Client { get; init; }

    /// <summary><c>listener</c>: the local address and port the client connected to.</summary>
    public IPEndPoint? Listener { get; init; }

    /// <summary><c>dest_service</c>: the route's service name (at most 64 characters, as route names are).</summary>
    public required string Service { get; init; }

    /// <summary><c>dest_ip</c> and <c>dest_port</c>: the upstream dialled (outbound, close), else null.</summary>
    public IPEndPoint? Destination { get; init; }

    /// <summary><c>client_identity</c>: the client certificate's identity; null without mutual TLS.</summary>
    public string? Identity { get; init; }

    /// <summary><c>cert_sha256</c>: the client certificate's SHA-256 fingerprint (hex); null without mutual TLS.</summary>
    public string? CertificateSha256 { get; init; }

    /// <summary><c>rule_group</c>: the deciding security group; null for the default deny or with no policy.</summary>
    public string? RuleGroup { get; init; }

    /// <summary><c>rule_index</c>: the deciding rule's index in its group; null as <see cref="RuleGroup"/>.</summary>
    public int? RuleIndex { get; init; }

    /// <summary><c>close_reason</c>: why a denied connection closed, or an allowed one ended.</summary>
    public CloseReason? Reason { get; init; }

    /// <summary><c>detail</c>: a short free-form explanation (rate-limit outcome, TLS failure), or null.</summary>
    public string? Detail { get; init; }

    /// <summary><c>bytes_from_client</c>: bytes forwarded from the client to the upstream (close only).</summary>
    public long BytesFromClient { get; init; }

    /// <summary><c>bytes_to_client</c>: bytes forwarded from the upstream to the client (close only).</summary>
    public long BytesToClient { get; init; }

    /// <summary><c>duration_ms</c>: the session for close, the handshake for handshake, the dial for outbound; zero otherwise.</summary>
    public TimeSpan Duration { get; init; }
}
