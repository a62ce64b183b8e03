using System.Net;
using FastRelay.Diagnostics;
using FastRelay.Filtering;

namespace FastRelay.Observing;

/// <summary>
/// One decision on one connection, or its close: what the audit log writes as a row and the metrics count.
/// A struct of references the connection already holds; raising one allocates nothing.
/// </summary>
/// <param name="ConnectionId">The connection id that keys its log lines.</param>
/// <param name="At">When the decision was taken (the edge's clock).</param>
/// <param name="Checkpoint">Which checkpoint decided.</param>
/// <param name="Allowed">The verdict. Always true for <see cref="Checkpoint.Close"/>.</param>
/// <param name="Client">The client's address and port (null only if the socket lost it).</param>
/// <param name="Listener">The local address and port the client connected to.</param>
/// <param name="Service">The route's service name.</param>
/// <param name="Destination">The upstream address dialled (Outbound, Close), else null.</param>
/// <param name="Rule">The deciding security-group rule; null for the default deny or when no policy is in force.</param>
/// <param name="Identity">The client certificate's identity, once the handshake has run; else null.</param>
/// <param name="CertificateSha256">The client certificate's SHA-256 fingerprint (hex), once known; else null.</param>
/// <param name="Reason">For a denial, why the connection closed; for <see cref="Checkpoint.Close"/>, its close reason.</param>
/// <param name="Detail">A short, free-form explanation (rate-limit outcome, TLS failure); null when there is nothing to add.</param>
/// <param name="BytesClientToUpstream">Bytes forwarded from the client (Close only).</param>
/// <param name="BytesUpstreamToClient">Bytes forwarded to the client (Close only).</param>
/// <param name="Elapsed">How long the step took: the session (since accept) for Close, the handshake for Handshake, the dial for Outbound; zero otherwise.</param>
/// <param name="DecidedByPeer">True when another node's policy decided (a gateway's FORBIDDEN_TARGET): recorded, but not this node's decision to count.</param>
internal readonly record struct ConnectionEvent(
    long ConnectionId,
    DateTimeOffset At,
    Checkpoint Checkpoint,
    bool Allowed,
    IPEndPoint? Client,
    IPEndPoint? Listener,
    string Service,
    IPEndPoint? Destination = null,
    FilterRule? Rule = null,
    ClientIdentity? Identity = null,
    string? CertificateSha256 = null,
    CloseReason? Reason = null,
    string? Detail = null,
    long BytesClientToUpstream = 0,
    long BytesUpstreamToClient = 0,
    TimeSpan Elapsed = default,
    bool DecidedByPeer = false);
