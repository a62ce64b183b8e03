using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// The candidate targets of a route for one client: the discovery endpoint's answer for (service, client address),
/// cached for <see cref="DiscoveryOptions.Ttl"/> and renewed in the background (stale-while-revalidate), or the
/// route's default backends (its <c>--route</c> targets) when discovery fails, times out, or is not configured for the route.
/// </summary>
/// <remarks>
/// A cached answer is returned synchronously, as the same list instance for as long as the answer does not change.
/// Only the first lookup of a key with nothing cached waits, for at most <see cref="DiscoveryOptions.Timeout"/>, and
/// not even that while the service's last request failed (within the failure TTL). Thread-safe.
/// </remarks>
public sealed partial class DiscoveryCache
{
    private readonly RefreshingCache<DiscoveryKey, IReadOnlyList<TargetOptions>> _cache;
    private readonly Dictionary<string, DiscoveryCounters> _services;
    private readonly ILogger _logger;
    private readonly OncePerInterval _failureLog;
    private readonly TimeProvider _time;
    private readonly TimeSpan _failureTtl;

    /// <summary>Creates an empty cache over <paramref name="source"/> for the services of <paramref name="options"/>.</summary>
    public DiscoveryCache(IDiscoverySource source, DiscoveryOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _time = time;
        _failureLog = new OncePerInterval(time, TimeSpan.FromSeconds(1));
        _services = options.Endpoints.ToDictionary(e => e.Service, _ => new DiscoveryCounters(), StringComparer.Ordinal);
        var limits = new RefreshingCacheOptions
        {
            Capacity = options.CacheSize,
            FetchTimeout = options.Timeout,
            FailureTtl = options.Ttl < RefreshingCacheOptions.DefaultFailureTtl ? options.Ttl : RefreshingCacheOptions.DefaultFailureTtl,
        };
        _failureTtl = limits.FailureTtl;
        var ttl = options.Ttl;
        _cache = new RefreshingCache<DiscoveryKey, IReadOnlyList<TargetOptions>>(
            async (key, token) =>
            {
                var fill = await source.FetchAsync(key.Service, key.Client, token).ConfigureAwait(false);
                return fill.Value is null ? fill : CacheFill.Answer<IReadOnlyList<TargetOptions>>(fill.Value, ttl);
            },
            limits, time, sameAnswer: TargetListComparer.Instance, fetched: OnFetched);
    }

    /// <summary>The services that use discovery, with their counts.</summary>
    public IReadOnlyDictionary<string, DiscoveryCounters> Services => _services;

    /// <summary>(client address, service) answers held now.</summary>
    public int Count => _cache.Count;

    /// <summary>True when <paramref name="service"/> uses discovery.</summary>
    public bool Covers(string service) => _services.ContainsKey(service);

    /// <summary>Every target of the distinct answers discovery gave recently (for active health checks).</summary>
    public IEnumerable<TargetOptions> DiscoveredTargets() => _cache.DistinctAnswers().SelectMany(answer => answer);

    /// <summary>
    /// The targets for <paramref name="client"/> of <paramref name="service"/>: the discovered ones, or
    /// <paramref name="defaults"/> (returned as the same instance) when there is no answer. Never throws for discovery failures.
    /// </summary>
    public ValueTask<IReadOnlyList<TargetOptions>> CandidatesAsync(string service, IPAddress client, IReadOnlyList<TargetOptions> defaults)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!_services.TryGetValue(service, out var counters))
        {
            return new ValueTask<IReadOnlyList<TargetOptions>>(defaults);
        }

        var key = new DiscoveryKey(service, Diagnostics.PlainAddress.Of(client));
        var lookup = _cache.GetAsync(key, mayWait: !counters.IsFailing(_time.GetTimestamp()));
        if (lookup.IsCompletedSuccessfully)
        {
            var answer = lookup.Result;
            counters.Count(answer.Result);
            return new ValueTask<IReadOnlyList<TargetOptions>>(answer.Value ?? defaults);
        }

        return WaitAsync(lookup, counters, defaults);
    }

    private static async ValueTask<IReadOnlyList<TargetOptions>> WaitAsync(ValueTask<CacheLookup<IReadOnlyList<TargetOptions>>> lookup, DiscoveryCounters counters,
        IReadOnlyList<TargetOptions> defaults)
    {
        var answer = await lookup.ConfigureAwait(false);
        counters.Count(answer.Result);
        return answer.Value ?? defaults;
    }

    private void OnFetched(DiscoveryKey key, FetchOutcome outcome, string? failure)
    {
        var counters = _services[key.Service];
        counters.Count(outcome);
        if (outcome == FetchOutcome.Ok)
        {
            counters.Answered();
            return;
        }

        counters.Failed(_time.GetTimestamp() + (long)(_failureTtl.TotalSeconds * _time.TimestampFrequency));

        var why = failure ?? outcome.ToString();

        // While discovery is down every key fails once per few seconds: one Warning a second, the rest at Debug.
        if (_failureLog.TryEnter())
        {
            Log.DiscoveryFailed(_logger, key.Service, key.Client, why);
        }
        else
        {
            Log.DiscoveryFailedAgain(_logger, key.Service, key.Client, why);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 350, EventName = nameof(EventIds.DiscoveryFailed), Level = LogLevel.Warning,
            Message = "Discovery for service {Service}, client {Client} failed: {Failure}; serving the last answer if recent, else the route's default targets")]
        public static partial void DiscoveryFailed(ILogger logger, string service, IPAddress client, string failure);

        [LoggerMessage(EventId = 351, EventName = nameof(EventIds.DiscoveryFailedAgain), Level = LogLevel.Debug,
            Message = "Discovery for service {Service}, client {Client} failed: {Failure}")]
        public static partial void DiscoveryFailedAgain(ILogger logger, string service, IPAddress client, string failure);
    }
}
