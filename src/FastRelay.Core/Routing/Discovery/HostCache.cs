using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// Resolves a DNS name with its TTL (the seam the DnsClient resolver implements and tests fake).
/// </summary>
/// <remarks>
/// Contract: the TTL of a success is the record's (the smallest of the answer's records), unclamped; NXDOMAIN, no
/// records and server failures are failed <see cref="CacheFill{TValue}"/>s with a reason; throws only
/// <see cref="OperationCanceledException"/> when the token is cancelled. Thread-safe.
/// </remarks>
public interface IHostResolver
{
    /// <summary>The addresses (A and AAAA) of <paramref name="host"/>.</summary>
    Task<CacheFill<IPAddress[]>> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>
/// The addresses of DNS-name targets, cached for each answer's TTL clamped to <see cref="DnsOptions.MinTtl"/> and
/// <see cref="DnsOptions.MaxTtl"/>, renewed in the background before they expire (and while stale), and kept when
/// the DNS server fails (up to the stale limit): a dial never waits for DNS except for a name's first use.
/// </summary>
/// <remarks>Thread-safe. Names are compared ignoring case (RFC 4343).</remarks>
public sealed partial class HostCache
{
    /// <summary>The most names kept.</summary>
    public const int Capacity = 10_000;

    /// <summary>Time for one resolution (both queries, with the resolver's retries).</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly RefreshingCache<string, IPAddress[]> _cache;
    private readonly ILogger _logger;
    private readonly OncePerInterval _failureLog;
    private long _ok;
    private long _failed;
    private long _timeouts;

    /// <summary>Creates an empty cache over <paramref name="resolver"/>.</summary>
    public HostCache(IHostResolver resolver, DnsOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _failureLog = new OncePerInterval(time, TimeSpan.FromSeconds(1));
        var limits = new RefreshingCacheOptions
        {
            Capacity = Capacity,
            FetchTimeout = ResolveTimeout,
            FailureTtl = options.MinTtl < RefreshingCacheOptions.DefaultFailureTtl ? options.MinTtl : RefreshingCacheOptions.DefaultFailureTtl,
        };
        _cache = new RefreshingCache<string, IPAddress[]>(
            async (host, token) =>
            {
                var fill = await resolver.ResolveAsync(host, token).ConfigureAwait(false);
                return fill.Value is null ? fill : CacheFill.Answer<IPAddress[]>(fill.Value, options.Clamp(fill.Ttl));
            },
            limits, time, StringComparer.OrdinalIgnoreCase, fetched: OnResolved);
    }

    /// <summary>Names held now.</summary>
    public int Count => _cache.Count;

    /// <summary>Resolutions that brought addresses.</summary>
    public long ResolvedOk => Volatile.Read(ref _ok);

    /// <summary>Resolutions that failed (NXDOMAIN, no records, server failure).</summary>
    public long ResolveFailed => Volatile.Read(ref _failed);

    /// <summary>Resolutions with no answer within <see cref="ResolveTimeout"/>.</summary>
    public long ResolveTimedOut => Volatile.Read(ref _timeouts);

    /// <summary>
    /// The addresses of <paramref name="host"/> (not to be changed by the caller), synchronously when cached; null
    /// <see cref="CacheLookup{TValue}.Value"/> when the name does not resolve and nothing recent is cached.
    /// </summary>
    public ValueTask<CacheLookup<IPAddress[]>> ResolveAsync(string host) => _cache.GetAsync(host);

    private void OnResolved(string host, FetchOutcome outcome, string? failure)
    {
        _ = outcome switch
        {
            FetchOutcome.Ok => Interlocked.Increment(ref _ok),
            FetchOutcome.Timeout => Interlocked.Increment(ref _timeouts),
            _ => Interlocked.Increment(ref _failed),
        }; // The new count is not needed.
        if (outcome == FetchOutcome.Ok)
        {
            return;
        }

        var why = failure ?? outcome.ToString();

        if (_failureLog.TryEnter())
        {
            Log.DnsResolveFailed(_logger, host, why);
        }
        else
        {
            Log.DnsResolveFailedAgain(_logger, host, why);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 352, EventName = nameof(EventIds.DnsResolveFailed), Level = LogLevel.Warning,
            Message = "Resolving {Host} failed: {Failure}; its last addresses are used while recent")]
        public static partial void DnsResolveFailed(ILogger logger, string host, string failure);

        [LoggerMessage(EventId = 353, EventName = nameof(EventIds.DnsResolveFailedAgain), Level = LogLevel.Debug,
            Message = "Resolving {Host} failed: {Failure}")]
        public static partial void DnsResolveFailedAgain(ILogger logger, string host, string failure);
    }
}
