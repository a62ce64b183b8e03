using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// OCSP answers by (issuer, serial), reused until their nextUpdate (failures for
/// <see cref="OcspClient.FailureBackoff"/>), at most <see cref="MaxEntries"/> of them; and concurrent lookups
/// of one certificate share one HTTP request, so a burst of reconnecting clients costs the responder one
/// query (the coalescing nginx's ssl_stapling lacks and stunnel's OCSP cache has).
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class OcspResponseCache(OcspClient client, TimeProvider time)
{
    /// <summary>The most answers kept; past it expired ones go first, then arbitrary ones (the cache stays bounded).</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Issuer, string Serial), OcspResult> _answers = new();
    private readonly ConcurrentDictionary<(string Issuer, string Serial), Lazy<Task<OcspResult>>> _inFlight = new();

    private int _lookups;

    /// <summary>Answers currently cached.</summary>
    public int Count => _answers.Count;

    /// <summary>HTTP lookups started (cache misses that were not coalesced).</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    /// <summary>The status of <paramref name="certificate"/>: from the cache when current, else from <paramref name="url"/>.</summary>
    public async ValueTask<OcspResult> GetAsync(X509Certificate2 certificate, X509Certificate2 issuer, string url, CancellationToken cancellationToken)
    {
        var key = (issuer.GetCertHashString(HashAlgorithmName.SHA256), certificate.SerialNumber);
        if (_answers.TryGetValue(key, out var cached) && time.GetUtcNow() < cached.CacheUntil)
        {
            return cached;
        }

        var lookup = _inFlight.GetOrAdd(key, k => new Lazy<Task<OcspResult>>(() => LookupAsync(k, certificate, issuer, url)));

        // The shared lookup runs to its own timeout; one caller giving up (its handshake timed out) must not
        // cancel it for the others.
        return await lookup.Value.WaitAsync(cancellationToken);
    }

    private async Task<OcspResult> LookupAsync((string, string) key, X509Certificate2 certificate, X509Certificate2 issuer, string url)
    {
        try
        {
            Interlocked.Increment(ref _lookups);
            var result = await client.QueryAsync(certificate, issuer, url);
            if (_answers.Count >= MaxEntries)
            {
                Trim();
            }

            _answers[key] = result;
            return result;
        }
        finally
        {
            _inFlight.TryRemove(key, out _); // The next miss starts a new lookup.
        }
    }

    private void Trim()
    {
        var now = time.GetUtcNow();
        foreach (var (key, answer) in _answers)
        {
            if (answer.CacheUntil <= now)
            {
                _answers.TryRemove(key, out _);
            }
        }

        // Still full of current answers: drop a quarter, whichever they are, rather than grow without bound.
        foreach (var key in _answers.Keys.Take(_answers.Count - (MaxEntries * 3 / 4)))
        {
            _answers.TryRemove(key, out _);
        }
    }
}
