using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// How a side authenticates its peer's identity payload, and what it presents itself (docs/PROTOCOL.md "Identity").
/// <list type="bullet">
/// <item>Pinned (<c>--edge-key</c>, <c>--gateway-key</c>): the peer's Noise static key must be in an allowlist.</item>
/// <item>CA (<c>--tunnel-ca</c>): the peer's certificate chains to a configured CA and its key signs a binding of the
/// peer's static key, its role and an expiry.</item>
/// </list>
/// <see cref="LocalCredential"/> is what this side sends when the peer is in CA mode; it is independent of how this side
/// checks the peer (an edge may pin the gateway's key yet present a certificate to a CA-mode gateway).
/// </summary>
/// <remarks>
/// Thread-safe; immutable but for the pinned keys, which a gateway's reload may replace (<see cref="ReplacePinnedKeys"/>). Revocation is not checked by this type itself: in CA mode the caller may pass a
/// <c>revocationCheck</c> (<see cref="TunnelRevocation.Check"/> over <c>--tunnel-crl</c>) that sees every validated chain.
/// </remarks>
public sealed class TunnelAuthentication
{
    private const int KeySize = 32;
    private volatile byte[][] _pinnedKeys;
    private readonly X509Certificate2Collection? _roots;
    private readonly TimeProvider _time;
    private readonly Func<IReadOnlyList<X509Certificate2>, string?>? _revocationCheck;

    private TunnelAuthentication(byte[][] pinnedKeys, X509Certificate2Collection? roots, TunnelCredential? localCredential, TimeProvider time,
        Func<IReadOnlyList<X509Certificate2>, string?>? revocationCheck = null)
    {
        _revocationCheck = revocationCheck;
        _pinnedKeys = pinnedKeys;
        _roots = roots;
        LocalCredential = localCredential;
        _time = time;
    }

    /// <summary>Whether the peer is checked against a CA (else against pinned keys).</summary>
    public bool IsCertificateMode => _roots is not null;

    /// <summary>The certificate this side presents, or null (pinned mode with a pinned-mode peer).</summary>
    public TunnelCredential? LocalCredential { get; }

    /// <summary>The clock for certificate and binding validity, and for signing our own binding.</summary>
    internal TimeProvider Time => _time;

    /// <summary>Pinned mode: the peer's static key must be one of <paramref name="allowedKeys"/> (32 bytes each).</summary>
    /// <exception cref="ArgumentException">A key is not 32 bytes or the list is empty.</exception>
    public static TunnelAuthentication Pinned(IEnumerable<byte[]> allowedKeys, TunnelCredential? localCredential = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(allowedKeys);
        var keys = allowedKeys.Select(k => k.ToArray()).ToArray();
        if (keys.Length == 0 || keys.Any(k => k.Length != KeySize))
        {
            throw new ArgumentException("need at least one key, each 32 bytes", nameof(allowedKeys));
        }

        return new TunnelAuthentication(keys, null, localCredential, time ?? TimeProvider.System);
    }

    /// <summary>
    /// CA mode: the peer's chain must end at one of <paramref name="trustedRoots"/> (and only those).
    /// <paramref name="revocationCheck"/>, when given, is called with every chain that validated (leaf first, up to the
    /// root; the certificates are borrowed: do not dispose or keep them) and returns null for "not revoked" or the
    /// reason to reject. It runs inside the handshake (5 s timeout) and at each <see cref="Recheck"/>, so it must be
    /// quick and must not throw (a CRL lookup, not a network fetch).
    /// </summary>
    /// <exception cref="ArgumentException">No roots.</exception>
    public static TunnelAuthentication CertificateAuthority(X509Certificate2Collection trustedRoots,
        TunnelCredential? localCredential = null, TimeProvider? time = null,
        Func<IReadOnlyList<X509Certificate2>, string?>? revocationCheck = null)
    {
        ArgumentNullException.ThrowIfNull(trustedRoots);
        if (trustedRoots.Count == 0)
        {
            throw new ArgumentException("need at least one CA certificate", nameof(trustedRoots));
        }

        return new TunnelAuthentication([], trustedRoots, localCredential, time ?? TimeProvider.System, revocationCheck);
    }

    /// <summary>
    /// Pinned mode: from now on the peer's key must be one of <paramref name="allowedKeys"/> (a gateway's reload of
    /// <c>--edge-key</c>). Handshakes in flight and <see cref="Recheck"/> see the new list; the caller re-checks the
    /// connections already up.
    /// </summary>
    /// <exception cref="InvalidOperationException">CA mode.</exception>
    /// <exception cref="ArgumentException">A key is not 32 bytes or the list is empty.</exception>
    public void ReplacePinnedKeys(IEnumerable<byte[]> allowedKeys)
    {
        ArgumentNullException.ThrowIfNull(allowedKeys);
        if (IsCertificateMode)
        {
            throw new InvalidOperationException("CA mode has no pinned keys");
        }

        var keys = allowedKeys.Select(k => k.ToArray()).ToArray();
        _pinnedKeys = keys.Length > 0 && keys.All(k => k.Length == KeySize) ? keys : throw new ArgumentException("need at least one key, each 32 bytes", nameof(allowedKeys));
    }

    /// <summary>
    /// Parses a configured public key: base64 of 32 bytes, as WireGuard prints them (<c>fastrelay keygen</c>).
    /// False with an error naming the value and what was expected.
    /// </summary>
    public static bool TryParseKey(string text, out byte[] key, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        key = [];
        error = null;
        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var length) || length != KeySize)
        {
            error = $"'{text}' is not a tunnel public key (expected base64 of 32 bytes, as printed by 'fastrelay keygen')";
            return false;
        }

        key = buffer[..KeySize];
        return true;
    }

    /// <summary>
    /// Re-checks an authenticated peer now (tunnel.md §4.8: in CA mode, the chain's validity and binding_not_after at each
    /// rekey; in pinned mode, whether the key is still allowed). Null when still accepted, else the reason. The edge's
    /// pool and the gateway pass it to <c>TunnelConnection.Start</c> as the recheck hook, which closes with
    /// GOAWAY(AUTH_FAILED) on a reason. Thread-safe.
    /// </summary>
    public string? Recheck(TunnelHandshakeResult handshake)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        return Check(handshake.RemoteStatic, handshake.PeerIdentity, handshake.PeerRole);
    }

    /// <summary>
    /// Checks the peer: null when accepted, else the reason to log. <paramref name="peerRole"/> is the role byte the
    /// peer must have signed ('I' when we are the exit, 'R' when we are the edge).
    /// </summary>
    internal string? Check(ReadOnlySpan<byte> remoteStatic, IdentityPayload identity, byte peerRole)
    {
        if (_roots is null)
        {
            return IsPinned(remoteStatic) ? null : "static key not in the allowlist";
        }

        return CertificateCheck.Run(remoteStatic, identity, peerRole, _roots, _time.GetUtcNow(), _revocationCheck);
    }

    private bool IsPinned(ReadOnlySpan<byte> remoteStatic)
    {
        // Every entry is compared in constant time and the loop never exits early: the timing says nothing about which
        // key (or how much of it) matched.
        var found = false;
        foreach (var key in _pinnedKeys)
        {
            found |= remoteStatic.Length == KeySize && CryptographicOperations.FixedTimeEquals(key, remoteStatic);
        }

        return found;
    }
}
