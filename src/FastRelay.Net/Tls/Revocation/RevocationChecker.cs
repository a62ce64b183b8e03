using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// Checks a validated client chain against the CRLs of <c>--crl</c> and, for certificates no current CRL
/// covers, the OCSP responder named in the certificate's AIA; then applies <c>--revocation</c>:
/// revoked is refused (unless off), unknown is allowed under soft-fail (and says why) and refused under
/// hard-fail. Every certificate of the chain but the trust anchor is checked, as nginx does with ssl_crl
/// (OpenSSL's X509_V_FLAG_CRL_CHECK_ALL).
/// </summary>
/// <remarks>
/// Order per certificate: (1) a CRL from its issuer lists it: refused; (2) a current CRL from its issuer
/// does not: good, no network; (3) otherwise OCSP (cached until nextUpdate, concurrent lookups coalesced);
/// (4) otherwise unknown. The CRL path allocates nothing and never waits. Thread-safe.
/// </remarks>
internal sealed partial class RevocationChecker : IRevocationChecker, IDisposable
{
    private readonly RevocationMode _mode;
    private readonly CrlStore? _crls;
    private readonly OcspResponseCache? _ocsp;
    private readonly HttpClient? _http;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // Soft-fail admissions are a degraded state worth a warning, but not one per handshake: one a minute, the rest at Debug.
    private readonly Diagnostics.OncePerInterval _unknownWarning;

    private RevocationChecker(RevocationMode mode, CrlStore? crls, OcspResponseCache? ocsp, HttpClient? http, ILogger logger, TimeProvider time)
    {
        _mode = mode;
        _crls = crls;
        _ocsp = ocsp;
        _http = http;
        _logger = logger;
        _time = time;
        _unknownWarning = new Diagnostics.OncePerInterval(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>The CRLs, for SIGHUP (<see cref="CrlStore.Reload"/>) and CA bundle reloads; null without <c>--crl</c>.</summary>
    public CrlStore? Crls => _crls;

    /// <summary>The OCSP cache (tests read its counters); null when OCSP is off.</summary>
    public OcspResponseCache? Ocsp => _ocsp;

    /// <summary>
    /// Builds the checker for <paramref name="options"/>, loading every CRL now and verifying each against
    /// <paramref name="trustedCas"/> (the <c>--client-ca</c> bundle). Returns null when nothing could be
    /// refused (<c>--revocation off</c>, or soft-fail with no CRL and OCSP off); the TLS path then skips the check.
    /// </summary>
    /// <exception cref="RevocationLoadException">A CRL file is missing, malformed or not signed by a CA of the bundle; the message lists each.</exception>
    public static RevocationChecker? Create(RevocationOptions options, X509Certificate2Collection trustedCas, ILogger logger, TimeProvider time, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trustedCas);
        if (options.Mode == RevocationMode.Off
            || (options.Mode == RevocationMode.SoftFail && options.CrlFiles.Count == 0 && options.OcspTimeout == TimeSpan.Zero))
        {
            // Off, or soft-fail with no CRL and no OCSP: nothing could refuse a certificate, so cost nothing per handshake.
            return null;
        }

        var crls = options.CrlFiles.Count > 0 ? new CrlStore(options.CrlFiles, trustedCas, logger) : null;
        HttpClient? http = null;
        OcspResponseCache? ocsp = null;
        if (options.OcspTimeout > TimeSpan.Zero)
        {
            // The per-request timeout is ours (TimeProvider, so tests can fake it); HttpClient's own is off.
            http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            http.Timeout = Timeout.InfiniteTimeSpan;
            http.MaxResponseContentBufferSize = OcspClient.MaxResponseBytes;
            ocsp = new OcspResponseCache(new OcspClient(http, options.OcspTimeout, time), time);
        }

        return new RevocationChecker(options.Mode, crls, ocsp, http, logger, time);
    }

    /// <inheritdoc />
    public ValueTask<RevocationVerdict> CheckAsync(IReadOnlyList<X509Certificate2> chain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var now = _time.GetUtcNow();
        var crls = _crls?.Current ?? CrlSnapshot.Empty;
        string? unknown = null;
        var degraded = false;
        for (var i = 0; i < chain.Count - 1; i++)
        {
            switch (crls.Check(chain[i], chain[i + 1], now, out var crl, out var revokedAt))
            {
                case CrlStatus.Revoked:
                    return ValueTask.FromResult(Refuse(chain[i], $"revoked since {revokedAt:u} per CRL {crl!.Path}"));
                case CrlStatus.Good:
                    continue;
                case CrlStatus.Stale when _ocsp is null || OcspUrl(chain[i]) is null:
                    unknown ??= $"{Describe(chain[i])}: CRL {crl!.Path} is past its nextUpdate {crl.NextUpdate:u}";
                    degraded = true;
                    continue;
                default:
                    if (_ocsp is not null && OcspUrl(chain[i]) is not null)
                    {
                        // At least one certificate needs the network: finish the chain asynchronously.
                        return CheckWithOcspAsync(chain, i, unknown, degraded, now, cancellationToken);
                    }

                    unknown ??= $"{Describe(chain[i])}: no CRL from its issuer and no OCSP URL in it";
                    continue;
            }
        }

        return ValueTask.FromResult(Conclude(unknown, degraded));
    }

    public void Dispose()
    {
        _crls?.Dispose();
        _http?.Dispose();
    }

    private async ValueTask<RevocationVerdict> CheckWithOcspAsync(
        IReadOnlyList<X509Certificate2> chain, int from, string? unknown, bool degraded, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var crls = _crls?.Current ?? CrlSnapshot.Empty;
        for (var i = from; i < chain.Count - 1; i++)
        {
            var crlStatus = crls.Check(chain[i], chain[i + 1], now, out var crl, out var revokedAt);
            if (crlStatus == CrlStatus.Revoked)
            {
                return Refuse(chain[i], $"revoked since {revokedAt:u} per CRL {crl!.Path}");
            }

            if (crlStatus == CrlStatus.Good)
            {
                continue;
            }

            if (_ocsp is null || OcspUrl(chain[i]) is not { } url)
            {
                unknown ??= $"{Describe(chain[i])}: no current CRL from its issuer and no OCSP URL in it";
                degraded |= crlStatus == CrlStatus.Stale;
                continue;
            }

            OcspResult answer;
            try
            {
                answer = await _ocsp.GetAsync(chain[i], chain[i + 1], url, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The handshake's deadline came first (a client that took most of it, a slow responder): the status is
                // unknown, and the mode decides, as for a responder that did not answer. The lookup runs on for the cache.
                unknown ??= $"{Describe(chain[i])}: no answer from OCSP responder {url} before the handshake deadline (--tls-handshake-timeout)";
                degraded = true;
                continue; // Later certificates still get their CRL check.
            }

            switch (answer.Status)
            {
                case OcspStatus.Revoked:
                    return Refuse(chain[i], answer.Detail);
                case OcspStatus.Good:
                    continue;
                default:
                    unknown ??= $"{Describe(chain[i])}: {answer.Detail}";
                    degraded = true;
                    continue;
            }
        }

        return Conclude(unknown, degraded);
    }

    /// <param name="unknown">Why a status is unknown; null when every certificate was shown good.</param>
    /// <param name="degraded">A source failed (responder down, CRL stale), rather than none being configured for it.</param>
    private RevocationVerdict Conclude(string? unknown, bool degraded)
    {
        if (unknown is null)
        {
            return new RevocationVerdict(true, null);
        }

        if (_mode == RevocationMode.HardFail)
        {
            Log.StatusUnknownRefused(_logger, unknown);
            return new RevocationVerdict(false, $"revocation status unknown, refused by --revocation hard-fail: {unknown}");
        }

        // No source for a certificate is how the site is set up: Debug. A failing source is degraded: warn.
        if (degraded && _unknownWarning.TryEnter())
        {
            Log.StatusUnknownAllowed(_logger, unknown);
        }
        else
        {
            Log.StatusUnknownAllowedAgain(_logger, unknown);
        }

        return new RevocationVerdict(true, $"revocation status unknown, allowed by --revocation soft-fail: {unknown}");
    }

    private RevocationVerdict Refuse(X509Certificate2 certificate, string why)
    {
        var detail = $"{Describe(certificate)} {why}";
        Log.Revoked(_logger, detail);
        return new RevocationVerdict(false, detail);
    }

    private static string Describe(X509Certificate2 certificate) => $"'{certificate.Subject}' (serial {certificate.SerialNumber})";

    private static string? OcspUrl(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509AuthorityInformationAccessExtension aia)
            {
                // Plain http only (RFC 5019 5; https would need its own revocation check).
                return aia.EnumerateOcspUris().FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 465, EventName = "ClientCertificateRevoked", Level = LogLevel.Information, Message = "Client certificate refused: {Detail}")]
        public static partial void Revoked(ILogger logger, string detail);

        [LoggerMessage(EventId = 466, EventName = "RevocationUnknownAllowed", Level = LogLevel.Warning, Message = "Revocation status unknown, allowed by --revocation soft-fail (more within a minute at Debug): {Detail}")]
        public static partial void StatusUnknownAllowed(ILogger logger, string detail);

        [LoggerMessage(EventId = 468, EventName = "RevocationUnknownAllowedAgain", Level = LogLevel.Debug, Message = "Revocation status unknown, allowed by --revocation soft-fail: {Detail}")]
        public static partial void StatusUnknownAllowedAgain(ILogger logger, string detail);

        [LoggerMessage(EventId = 467, EventName = "RevocationUnknownRefused", Level = LogLevel.Information, Message = "Revocation status unknown, refused (hard-fail): {Detail}")]
        public static partial void StatusUnknownRefused(ILogger logger, string detail);
    }
}
