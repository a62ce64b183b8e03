namespace FastRelay.Diagnostics;

/// <summary>
/// Why a connection ended: exactly one per connection, set by the first failure (later ones are ignored),
/// logged once at Debug with the byte counts and written to its audit record.
/// </summary>
/// <remarks>
/// The names are public surface (logs, metrics labels, audit rows): add new ones at the end, never rename.
/// After spiped's PROTO_CONN_* and YARP's ForwarderError.
/// </remarks>
public enum CloseReason
{
    /// <summary>Both directions finished with a FIN and every byte was delivered.</summary>
    Completed,

    /// <summary>The client reset the connection or its socket failed.</summary>
    ClientReset,

    /// <summary>The upstream reset the connection or its socket failed.</summary>
    UpstreamReset,

    /// <summary>No byte moved either way for the idle timeout.</summary>
    IdleTimeout,

    /// <summary>A security-group rule denied the connection.</summary>
    FilterDenied,

    /// <summary>A token bucket had no token for the connection.</summary>
    RateLimited,

    /// <summary>The TLS handshake failed or timed out.</summary>
    TlsHandshakeFailed,

    /// <summary>The client certificate was missing, invalid or not allowed.</summary>
    ClientCertRejected,

    /// <summary>No upstream target accepted the connection (refused, unreachable or connect timeout).</summary>
    UpstreamUnavailable,

    /// <summary>The tunnel peer failed authentication.</summary>
    TunnelAuthFailed,

    /// <summary>The process was stopping and the drain deadline passed.</summary>
    Shutdown,

    /// <summary>The global connection limit was reached; the connection was closed on accept.</summary>
    ConnectionLimit,

    /// <summary>The client's address already had <c>--max-connections-per-source</c> connections open (a gateway: <c>--max-handshakes-per-source</c> handshakes in flight); closed on accept.</summary>
    SourceConnectionLimit,
}
