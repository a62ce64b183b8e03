using FastRelay.Diagnostics;

namespace FastRelay.Tls;

/// <summary>How a TLS handshake ended: success, or the close reason and the exact cause.</summary>
/// <param name="Reason">Null on success; else <see cref="CloseReason.TlsHandshakeFailed"/> or <see cref="CloseReason.ClientCertRejected"/>.</param>
/// <param name="Detail">The cause in words ("timed out after 10s", "the certificate expired on …"); null on success.</param>
internal readonly record struct HandshakeOutcome(CloseReason? Reason, string? Detail)
{
    public bool Succeeded => Reason is null;

    public static HandshakeOutcome Success => default;

    public static HandshakeOutcome Failed(string detail) => new(CloseReason.TlsHandshakeFailed, detail);

    public static HandshakeOutcome Rejected(string detail) => new(CloseReason.ClientCertRejected, detail);
}
