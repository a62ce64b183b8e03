using System.Security.Cryptography.X509Certificates;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The CRLs of <c>--tunnel-crl</c>, checked against the tunnel peer's validated chain in CA mode (the
/// <c>revocationCheck</c> of <see cref="TunnelAuthentication.CertificateAuthority"/>): at the handshake and at each
/// rekey's recheck. Every certificate of the chain but the root is looked up, as the edge's <c>--crl</c> does.
/// </summary>
/// <remarks>
/// Only a listed certificate is refused: a certificate no CRL covers, or one whose CRL is past its nextUpdate, is
/// accepted (there is no OCSP and no hard-fail mode for the tunnel). The files are re-read when they change and on
/// <see cref="Reload"/> (SIGHUP, POST /reload); a file that no longer loads keeps its previous CRL. Lookups never
/// lock and allocate nothing when no certificate is listed. Thread-safe.
/// </remarks>
internal sealed class TunnelRevocation : IDisposable
{
    private readonly CrlStore _crls;
    private readonly TimeProvider _time;

    private TunnelRevocation(CrlStore crls, TimeProvider time)
    {
        _crls = crls;
        _time = time;
    }

    /// <summary>
    /// Loads every file now, each verified against a CA of <paramref name="trustedCas"/> (the <c>--tunnel-ca</c> bundle).
    /// </summary>
    /// <exception cref="RevocationLoadException">A file is missing, malformed or not signed by a CA of the bundle; one line each, naming <c>--tunnel-crl</c> and the file.</exception>
    public static TunnelRevocation Load(IReadOnlyList<string> files, X509Certificate2Collection trustedCas, TimeProvider? time = null, ILogger? logger = null) =>
        new(new CrlStore(files, trustedCas, logger ?? NullLogger.Instance, "--tunnel-crl", "--tunnel-ca"), time ?? TimeProvider.System);

    /// <summary>Where reloads are logged (the host's factory exists only after the flags were loaded).</summary>
    public ILogger Logger
    {
        set => _crls.Logger = value;
    }

    /// <summary>
    /// The <c>revocationCheck</c> hook: null when no certificate of <paramref name="chain"/> (leaf first, root last) is
    /// listed, else why (CertificateCheck prefixes "certificate '…' rejected: ").
    /// </summary>
    public string? Check(IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var snapshot = _crls.Current;
        var now = _time.GetUtcNow();
        for (var i = 0; i < chain.Count - 1; i++)
        {
            if (snapshot.Check(chain[i], chain[i + 1], now, out var crl, out var revokedAt) == CrlStatus.Revoked)
            {
                var which = i == 0 ? "revoked" : $"its issuer '{chain[i].Subject}' is revoked";
                return $"{which} (serial {chain[i].SerialNumber}, since {revokedAt:u}) per --tunnel-crl {crl!.Path}";
            }
        }

        return null;
    }

    /// <summary>Re-reads every file; returns how many failed (each logged; its previous CRL stays).</summary>
    public int Reload(string trigger) => _crls.Reload(trigger);

    public void Dispose() => _crls.Dispose();
}
