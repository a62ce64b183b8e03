namespace FastRelay.Configuration;

/// <summary>
/// Reads the discovery flags (<c>--discovery</c>, <c>--discovery-ttl</c>, <c>--discovery-timeout</c>,
/// <c>--discovery-cache-size</c>) and the DNS flags (<c>--dns-server</c>, <c>--dns-min-ttl</c>, <c>--dns-max-ttl</c>),
/// adding an error for each bad value.
/// </summary>
internal static class DiscoveryReader
{
    /// <summary>The flags this reader knows.</summary>
    public static readonly string[] Names =
        ["discovery", "discovery-ttl", "discovery-timeout", "discovery-cache-size", "dns-server", "dns-min-ttl", "dns-max-ttl"];

    /// <summary>The repeatable ones.</summary>
    public static readonly string[] Repeatable = ["discovery", "dns-server"];

    /// <summary>Upper bound of <c>--discovery-timeout</c>: a client waits at most this long once per key.</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The discovery options; every <c>--discovery</c> service must have a route in <paramref name="routes"/>.</summary>
    public static DiscoveryOptions ReadDiscovery(IReadOnlyList<RawSetting> settings, ScalarReader scalars, IReadOnlyList<RouteOptions> routes, List<ConfigError> errors)
    {
        var endpoints = new List<DiscoveryEndpoint>();
        foreach (var s in settings.Where(s => s.Name == "discovery"))
        {
            if (TryReadEndpoint(s.Value, routes, out var endpoint, out var error))
            {
                if (endpoints.Any(e => e.Service == endpoint!.Service))
                {
                    errors.Add(new ConfigError(s.Origin, s.Value, $"service '{endpoint!.Service}' already has a --discovery; give one URL per service"));
                }
                else
                {
                    endpoints.Add(endpoint!);
                }
            }
            else if (error is not null)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, error));
            }
        }

        if (endpoints.Count == 0 && !settings.Any(s => s.Name == "discovery"))
        {
            // Tuning a cache that nothing uses is a mistake worth saying (as --conn-burst without --conn-rate).
            foreach (var name in new[] { "discovery-ttl", "discovery-timeout", "discovery-cache-size" })
            {
                if (scalars.Find(name) is { } orphan)
                {
                    errors.Add(new ConfigError(orphan.Origin, orphan.Value, "only means something with --discovery SERVICE=URL"));
                }
            }
        }

        var timeout = scalars.Duration("discovery-timeout", DiscoveryOptions.DefaultTimeout, allowZero: false);
        if (timeout > MaxTimeout && scalars.Find("discovery-timeout") is { } t)
        {
            errors.Add(new ConfigError(t.Origin, t.Value, "expected a duration up to 30s: the first client of a (client, service) waits for it"));
            timeout = DiscoveryOptions.DefaultTimeout;
        }

        return new DiscoveryOptions
        {
            Endpoints = endpoints,
            Ttl = scalars.Duration("discovery-ttl", DiscoveryOptions.DefaultTtl, allowZero: false),
            Timeout = timeout,
            CacheSize = (int)scalars.Integer("discovery-cache-size", DiscoveryOptions.DefaultCacheSize, 1, 10_000_000),
        };
    }

    /// <summary>The DNS options; <c>--dns-min-ttl</c> must not exceed <c>--dns-max-ttl</c>.</summary>
    public static DnsOptions ReadDns(IReadOnlyList<RawSetting> settings, ScalarReader scalars, List<ConfigError> errors)
    {
        var servers = new List<System.Net.IPEndPoint>();
        foreach (var s in settings.Where(s => s.Name == "dns-server"))
        {
            if (!EndPointSyntax.TryParseIPEndPoint(s.Value, out var server, out var error) || server!.Port == 0)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, $"expected ADDR:PORT of a DNS server, an IP literal (IPv6 as [ADDR]:PORT; port 53 for a usual one){(error.Length > 0 ? ": " + error : "")}"));
            }
            else if (servers.Contains(server))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "this DNS server is already listed"));
            }
            else
            {
                servers.Add(server);
            }
        }

        var min = scalars.Duration("dns-min-ttl", DnsOptions.DefaultMinTtl, allowZero: false);
        var max = scalars.Duration("dns-max-ttl", DnsOptions.DefaultMaxTtl, allowZero: false);
        if (min > max)
        {
            var which = scalars.Find("dns-min-ttl") ?? scalars.Find("dns-max-ttl")!;
            errors.Add(new ConfigError(which.Origin, which.Value,
                $"--dns-min-ttl ({ValueSyntax.FormatDuration(min)}) must not exceed --dns-max-ttl ({ValueSyntax.FormatDuration(max)})"));
        }

        return new DnsOptions { Servers = servers, MinTtl = min, MaxTtl = max };
    }

    private static bool TryReadEndpoint(string text, IReadOnlyList<RouteOptions> routes, out DiscoveryEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
        {
            error = "expected SERVICE=URL, e.g. api=http://discovery.internal:8500/v1/pick";
            return false;
        }

        var service = text[..eq];
        var url = text[(eq + 1)..];
        if (!RouteSyntax.IsValidServiceName(service))
        {
            error = RouteSyntax.ServiceNameExpected;
            return false;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = $"URL '{url}': expected an absolute http:// or https:// URL";
            return false;
        }

        if (uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            error = $"URL '{url}': a fragment (#...) or user:password@ is not sent; remove it";
            return false;
        }

        if (!routes.Any(r => r.Service == service))
        {
            // The route's targets are the default backends when discovery fails: there must be some.
            error = $"no --route for service '{service}'; add --route {service}=HOST:PORT (its targets are the default backends when discovery fails)";
            return false;
        }

        endpoint = new DiscoveryEndpoint(service, uri);
        error = null;
        return true;
    }
}
