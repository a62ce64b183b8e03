namespace FastRelay.Diagnostics;

/// <summary>
/// Where on a connection's way a decision was taken, in the order a connection meets them. Every decision
/// (allowed or not) is one event for the audit log and the metrics; the close of an allowed connection is
/// the last.
/// </summary>
/// <remarks>The names are public surface (audit rows, metric labels): add new ones at the end, never rename.</remarks>
public enum Checkpoint
{
    /// <summary>Accepted by the listener, or refused at the global connection limit.</summary>
    Accept,

    /// <summary>The Inbound security-group rules on the client's address (before any TLS).</summary>
    Inbound,

    /// <summary>The connection token bucket.</summary>
    RateLimit,

    /// <summary>The TLS handshake and the client certificate checks (identity rules included).</summary>
    Handshake,

    /// <summary>The Outbound security-group rules on the resolved upstream address.</summary>
    Outbound,

    /// <summary>The close of a connection that was allowed through (bytes, duration, close reason).</summary>
    Close,
}
