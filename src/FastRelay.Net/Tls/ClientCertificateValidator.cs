using System.Security.Cryptography;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Filtering;

namespace FastRelay.Tls;

/// <summary>
/// Decides on a client certificate inside the handshake, from the chain SslStream built with the
/// <c>--client-ca</c> policy: trust (that bundle only), validity period, chain length, key usage and
/// extended key usage (clientAuth), then <c>--allow-cn</c>/<c>--allow-san</c>. A rejection carries the exact
/// reason, which the connection logs and reports (in TLS 1.3 the client only sees EOF on its first read).
/// </summary>
/// <remarks>
/// Accepted verdicts are cached by SHA-256 fingerprint (bounded; each entry until the chain's earliest
/// expiry, at most <see cref="MaxCacheAge"/>): a returning client costs a hash and a lookup instead of
/// the extension parsing, identity reading and chain copies. A new <c>--client-ca</c> (reload) comes with a
/// new validator, so nothing outlives the trust it was decided under. Thread-safe.
/// </remarks>
internal sealed class ClientCertificateValidator
{
    /// <summary>Longest accepted chain, leaf and root included (leaf, three intermediates, root).</summary>
    public const int MaxChainCertificates = 5;

    /// <summary>How long an accepted verdict is reused at most.</summary>
    public static readonly TimeSpan MaxCacheAge = TimeSpan.FromMinutes(5);

    /// <summary>Cache bound: past it the cache is emptied (a flood of distinct valid certificates costs CPU, never memory).</summary>
    public const int MaxCacheEntries = 10_000;

    private readonly ClientCaBundle _ca;
    private readonly CertificateAllowList _allowList;
    private readonly TimeProvider _time;
    private readonly bool _keepChain;
    private readonly ConcurrentDictionary<string, CertificateVerdict> _cache = new(StringComparer.Ordinal);

    /// <param name="ca">The trust anchors (for messages; the chain policy itself is on the handshake options).</param>
    /// <param name="allowList">The CN/SAN allow-lists.</param>
    /// <param name="time">The clock for cache expiry.</param>
    /// <param name="keepChain">Keep copies of the chain for a revocation checker.</param>
    public ClientCertificateValidator(ClientCaBundle ca, CertificateAllowList allowList, TimeProvider time, bool keepChain)
    {
        _ca = ca;
        _allowList = allowList;
        _time = time;
        _keepChain = keepChain;
    }

    /// <summary>Verdicts served from the cache (for tests and the bench).</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    private long _cacheHits;

    /// <summary>Checks the certificate SslStream received, with the chain it built and the errors it found.</summary>
    public CertificateVerdict Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        try
        {
            return ValidateCore(certificate, chain, errors);
        }
        catch (Exception ex) when (ex is CryptographicException or InvalidOperationException or System.Formats.Asn1.AsnContentException or FormatException)
        {
            // An extension or name that does not decode (anyone can present a self-signed certificate before the chain
            // is checked): a refusal that says so, never an exception out of the handshake's callback.
            return CertificateVerdict.Reject($"the certificate could not be read: {ex.Message}");
        }
    }

    private CertificateVerdict ValidateCore(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return CertificateVerdict.Reject("the client sent no certificate (one is required: --client-ca)");
        }

        var sha256 = CertificateIdentityReader.Sha256(certificate);
        var now = _time.GetUtcNow();

        // Only a clean chain may be answered from the cache: any error is examined afresh.
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0 && _cache.TryGetValue(sha256, out var cached) && cached.ValidUntil > now)
        {
            Interlocked.Increment(ref _cacheHits);
            return cached;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var identity = CertificateIdentityReader.Read(leaf);
        var problem = CheckLeaf(leaf, now) ?? CheckChain(chain, errors, leaf);
        if (problem is not null)
        {
            return CertificateVerdict.Reject(problem, identity, sha256);
        }

        if (!_allowList.Allows(identity))
        {
            return CertificateVerdict.Reject($"identity '{identity}' is not allowed by {_allowList}", identity, sha256);
        }

        var verdict = CertificateVerdict.Accept(identity, sha256, _keepChain ? CopyChain(chain!) : null, ValidUntil(chain!, now));
        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }

        _cache[sha256] = verdict;
        return verdict;
    }

    private static string? CheckLeaf(X509Certificate2 leaf, DateTimeOffset now)
    {
        if (leaf.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            return $"the certificate expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z";
        }

        if (leaf.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            return $"the certificate is not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm}Z";
        }

        // As OpenSSL's SSL client purpose check: a key usage, when present, must allow signatures; an
        // extended key usage, when present, must include clientAuth (or anyExtendedKeyUsage).
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509KeyUsageExtension usage && (usage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            {
                return $"key usage '{usage.KeyUsages}' does not include digitalSignature";
            }

            if (extension is X509EnhancedKeyUsageExtension eku && !eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()
                    .Any(o => o.Value is ClientCaBundle.ClientAuthOid or "2.5.29.37.0"))
            {
                var names = string.Join(", ", eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.FriendlyName ?? o.Value));
                return $"extended key usage ({names}) does not include clientAuth";
            }
        }

        return null;
    }

    private string? CheckChain(X509Chain? chain, SslPolicyErrors errors, X509Certificate2 leaf)
    {
        if (chain is null)
        {
            return "no certificate chain could be built";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            {
                return $"issuer '{leaf.Issuer}' does not chain to a CA in --client-ca {_ca.Path}";
            }

            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                return "a CA certificate in its chain is expired or not yet valid";
            }

            var statuses = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return $"the chain is invalid ({flags}{(statuses.Length > 0 ? ": " + statuses : "")})";
        }

        if (chain.ChainElements.Count > MaxChainCertificates)
        {
            return $"the chain has {chain.ChainElements.Count} certificates; at most {MaxChainCertificates} are accepted";
        }

        return null;
    }

    private static X509Certificate2[] CopyChain(X509Chain chain)
    {
        // SslStream disposes the chain's certificates when the callback returns: keep our own copies.
        var copies = new X509Certificate2[chain.ChainElements.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = X509CertificateLoader.LoadCertificate(chain.ChainElements[i].Certificate.RawData);
        }

        return copies;
    }

    private static DateTimeOffset ValidUntil(X509Chain chain, DateTimeOffset now)
    {
        var until = now + MaxCacheAge;
        foreach (var element in chain.ChainElements)
        {
            var notAfter = new DateTimeOffset(element.Certificate.NotAfter.ToUniversalTime());
            if (notAfter < until)
            {
                until = notAfter;
            }
        }

        return until;
    }
}
