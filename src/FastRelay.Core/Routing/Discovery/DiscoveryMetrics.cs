using System.Diagnostics.Metrics;

namespace FastRelay.Routing.Discovery;

/// <summary>
/// The discovery and DNS instruments (README "Service discovery", "Metrics"), read from the caches' counters at each
/// scrape: nothing is recorded on the connection path beyond the caches' own increments.
/// </summary>
public static class DiscoveryMetrics
{
    /// <summary>Creates the instruments on <paramref name="meter"/> (the relay's one meter).</summary>
    /// <param name="meter">The meter of <c>RelayMetrics</c>.</param>
    /// <param name="discovery">The discovery cache; null when no route uses discovery (no discovery series).</param>
    /// <param name="hosts">The DNS cache of the direct dialer.</param>
    public static void Observe(Meter meter, DiscoveryCache? discovery, HostCache hosts)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(hosts);
        if (discovery is not null)
        {
            meter.CreateObservableCounter("fastrelay.discovery.requests", () => Requests(discovery), "{request}",
                "Requests to the discovery endpoints, by service and outcome (ok, failed, timeout).");
            meter.CreateObservableCounter("fastrelay.discovery.cache.lookups", () => Lookups(discovery), "{lookup}",
                "Discovery cache lookups, by service and result: hit (fresh), stale (served while one background request renews it), miss (nothing usable cached).");
            meter.CreateObservableCounter("fastrelay.discovery.default_backend", () => Defaults(discovery), "{lookup}",
                "Lookups answered with the route's --route targets because discovery failed, timed out or is failing, by service.");
            meter.CreateObservableUpDownCounter("fastrelay.discovery.cache.entries", () => (long)discovery.Count, "{entry}",
                "(client IP, service) answers held in the discovery cache now.");
        }

        meter.CreateObservableCounter("fastrelay.dns.resolutions", () => Resolutions(hosts), "{resolution}",
            "Resolutions of DNS-name targets (A and AAAA), by outcome (ok, failed, timeout).");
        meter.CreateObservableUpDownCounter("fastrelay.dns.cache.entries", () => (long)hosts.Count, "{entry}", "DNS names held in the resolver's cache now.");
    }

    private static IEnumerable<Measurement<long>> Requests(DiscoveryCache discovery)
    {
        foreach (var (service, counts) in discovery.Services)
        {
            yield return Measure(counts.RequestsOk, service, "outcome", "ok");
            yield return Measure(counts.RequestsFailed, service, "outcome", "failed");
            yield return Measure(counts.RequestsTimedOut, service, "outcome", "timeout");
        }
    }

    private static IEnumerable<Measurement<long>> Lookups(DiscoveryCache discovery)
    {
        foreach (var (service, counts) in discovery.Services)
        {
            yield return Measure(counts.Hits, service, "result", "hit");
            yield return Measure(counts.Stale, service, "result", "stale");
            yield return Measure(counts.Misses, service, "result", "miss");
        }
    }

    private static IEnumerable<Measurement<long>> Defaults(DiscoveryCache discovery) =>
        discovery.Services.Select(s => new Measurement<long>(s.Value.Defaults, new KeyValuePair<string, object?>("service", s.Key)));

    private static IEnumerable<Measurement<long>> Resolutions(HostCache hosts) =>
    [
        new(hosts.ResolvedOk, new KeyValuePair<string, object?>("outcome", "ok")),
        new(hosts.ResolveFailed, new KeyValuePair<string, object?>("outcome", "failed")),
        new(hosts.ResolveTimedOut, new KeyValuePair<string, object?>("outcome", "timeout")),
    ];

    private static Measurement<long> Measure(long value, string service, string tag, string tagValue) =>
        new(value, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>(tag, tagValue));
}
