using System.Net;
using FastRelay.Audit;
using Microsoft.Extensions.Logging;

namespace FastRelay.Configuration;

/// <summary>
/// Turns the raw settings of <c>fastrelay edge</c> (flags and config file, already merged so that a flag
/// wins over the file) into <see cref="EdgeOptions"/>, collecting every error before failing.
/// </summary>
/// <remarks>Pure: no files, no sockets. Thread-safe (static, no shared state).</remarks>
public static class EdgeOptionsReader
{
    /// <summary>The setting names this reader knows, as written after <c>--</c>.</summary>
    public static readonly IReadOnlySet<string> KnownNames = new HashSet<string>(
    [
        "listen", "route", "connect-timeout", "retries", "idle-timeout", "max-connections", "max-connections-per-source", "drain-timeout",
        "buffer-size", "data-path", "splice", "backlog", "log-format", "log-level", "policy", "recheck-established", "conn-rate", "conn-burst", "rate-key", "bandwidth",
        "tls-cert", "tls-key", "client-ca", "ocsp-staple", "allow-cn", "allow-san", "tls-handshake-timeout",
        "crl", "revocation", "ocsp-timeout",
        "audit", "audit-node", "audit-spool", "audit-queue", "audit-overflow", "audit-flush-timeout",
        "admin", "handoff",
        .. BalancingReader.Names,
        .. TunnelReader.SharedNames, .. TunnelReader.EdgeNames, .. DiscoveryReader.Names,
    ], StringComparer.Ordinal);

    private static readonly string[] Repeatable = ["listen", "route", "crl", "gateway", "gateway-key", "tunnel-crl", .. TlsReader.Repeatable, .. DiscoveryReader.Repeatable];

    /// <summary>Reads <paramref name="settings"/>.</summary>
    /// <exception cref="ConfigException">Anything is wrong; every problem is listed.</exception>
    public static EdgeOptions Read(IReadOnlyList<RawSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<ConfigError>();
        var ignored = new List<ConfigError>();
        CheckNamesAndRepeats(settings, errors);

        var routes = ReadRoutes(settings, errors);
        var scalars = new ScalarReader(settings, errors);
        var tls = TlsReader.Read(settings, scalars, errors);
        var listeners = ReadListeners(settings, routes, tls is not null, errors);
        var options = new EdgeOptions
        {
            Listeners = listeners,
            Routes = routes,
            ConnectTimeout = scalars.Duration("connect-timeout", EdgeOptions.DefaultConnectTimeout, allowZero: false),
            Retries = (int)scalars.Integer("retries", EdgeOptions.DefaultRetries, 0, 10),
            IdleTimeout = scalars.Duration("idle-timeout", EdgeOptions.DefaultIdleTimeout, allowZero: true),
            DrainTimeout = scalars.Duration("drain-timeout", EdgeOptions.DefaultDrainTimeout, allowZero: true),
            MaxConnections = (int)scalars.Integer("max-connections", EdgeOptions.DefaultMaxConnections, 1, 1_000_000),
            MaxConnectionsPerSource = (int)scalars.Integer("max-connections-per-source", 0, 0, 1_000_000),
            DataPath = scalars.Enum("data-path", DataPath.Epoll),
            Splice = scalars.Enum("splice", SpliceMode.On),
            Backlog = (int)scalars.Integer("backlog", EdgeOptions.DefaultBacklog, 1, 65_535),
            BufferBytes = (int)scalars.Size("buffer-size", EdgeOptions.DefaultBufferBytes, 4096, 1 << 20),
            PolicyFile = scalars.Text("policy"),
            RecheckEstablished = scalars.Switch("recheck-established"),
            ConnectionRate = RateLimitReader.ConnectionRate(scalars, errors, tls?.ClientCaFile is not null),
            Bandwidth = RateLimitReader.Bandwidth(scalars, errors),
            Audit = AuditReader.Read(scalars, errors),
            Admin = ReadAdmin(scalars, errors),
            HandoffPath = scalars.Text("handoff"),
            Tls = tls,
            Tunnel = TunnelReader.ReadEdge(settings, scalars, [.. routes.Where(r => r.Targets.Any(t => t.ViaTunnel)).Select(r => r.Service)], errors, ignored),
            Revocation = RevocationReader.Revocation(settings, scalars, errors),
            Balancing = BalancingReader.Read(scalars, errors),
            Discovery = DiscoveryReader.ReadDiscovery(settings, scalars, routes, errors),
            Dns = DiscoveryReader.ReadDns(settings, scalars, errors),
            Log = new LogOptions(
                scalars.Enum("log-format", LogFormat.Text),
                scalars.Enum("log-level", LogLevel.Information)),
            Ignored = ignored,
        };

        if (options.Tunnel is not null && options.Audit.Node is { } node && !NodeNameSyntax.FitsHandshake(node) && scalars.Find("audit-node") is { } given)
        {
            // The edge sends its --audit-node in the tunnel handshake: a gateway refuses a name over 255 bytes.
            errors.Add(new ConfigError(given.Origin, given.Value, NodeNameSyntax.ExpectedInHandshake));
        }

        if (options.RecheckEstablished && options.PolicyFile is null)
        {
            ignored.Add(RecheckWithoutRules(scalars, "--policy"));
        }

        CheckAdminApart(scalars, options.Admin, options.Listeners.Select(l => (l.EndPoint, $"--listen {l.EndPoint}")), errors);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return options;
    }

    /// <summary><c>--admin ADDR:PORT|off</c>, or <paramref name="fallback"/> (the edge's default when null) when not given.</summary>
    internal static IPEndPoint? ReadAdmin(ScalarReader scalars, List<ConfigError> errors, IPEndPoint? fallback = null)
    {
        if (scalars.Find("admin") is not { } s)
        {
            return fallback ?? EdgeOptions.DefaultAdmin;
        }

        if (string.Equals(s.Value, "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!EndPointSyntax.TryParseIPEndPoint(s.Value, out var endPoint, out var error))
        {
            errors.Add(new ConfigError(s.Origin, s.Value, $"expected ADDR:PORT (IPv6 as [ADDR]:PORT; port 0 for any free port) or off: {error}"));
            return null;
        }

        return endPoint;
    }

    /// <summary>
    /// <c>--recheck-established</c> where no rules decide (no <c>--policy</c>; a gateway's <c>--allow-any-target</c>): valid,
    /// but it would never close anything, so it is listed with the settings ignored at start rather than kept silently.
    /// </summary>
    internal static ConfigError RecheckWithoutRules(ScalarReader scalars, string needs)
    {
        var given = scalars.Find("recheck-established")!;
        return new ConfigError(given.Origin, given.Value, $"has no effect without {needs} (no rules decide the established connections again); ignored");
    }

    /// <summary>
    /// The admin endpoint must not take a listener's address: the second bind failed at start (exit 1, "already in
    /// use") for a conflict the flags alone show. Same port and the same address, or a wildcard on either side.
    /// </summary>
    internal static void CheckAdminApart(ScalarReader scalars, IPEndPoint? admin, IEnumerable<(IPEndPoint EndPoint, string Name)> listeners, List<ConfigError> errors)
    {
        if (admin is not { Port: not 0 })
        {
            return;
        }

        static bool Wildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);
        foreach (var (endPoint, name) in listeners)
        {
            if (endPoint.Port == admin.Port && (endPoint.Address.Equals(admin.Address) || Wildcard(endPoint.Address) || Wildcard(admin.Address)))
            {
                errors.Add(scalars.Find("admin") is { } given
                    ? new ConfigError(given.Origin, given.Value, $"the same address as {name}; expected an ADDR:PORT of its own, or off")
                    : new ConfigError("--admin", null, $"its default {admin} is the address of {name}; give the listener another port, or --admin ADDR:PORT|off"));
                return;
            }
        }
    }

    /// <summary>Unknown names and repeats of single-valued settings, against <paramref name="known"/> (the edge's when null).</summary>
    internal static void CheckNamesAndRepeats(IReadOnlyList<RawSetting> settings, List<ConfigError> errors, IReadOnlySet<string>? known = null, IReadOnlyCollection<string>? repeatable = null)
    {
        known ??= KnownNames;
        repeatable ??= Repeatable;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in settings)
        {
            if (!known.Contains(s.Name))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, $"unknown setting; expected one of {string.Join(", ", known)}"));
            }
            else if (!seen.Add(s.Name) && !repeatable.Contains(s.Name))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "given more than once; give it once"));
            }
        }
    }

    private static List<RouteOptions> ReadRoutes(IReadOnlyList<RawSetting> settings, List<ConfigError> errors)
    {
        var routes = new List<RouteOptions>();
        foreach (var s in settings.Where(s => s.Name == "route"))
        {
            if (!RouteSyntax.TryParse(s.Value, out var route, out var error))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, error));
            }
            else if (routes.Any(r => r.Service == route!.Service))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, $"service '{route!.Service}' already has a route; list all its targets in one --route"));
            }
            else
            {
                routes.Add(route!);
            }
        }

        return routes;
    }

    private static List<ListenerOptions> ReadListeners(
        IReadOnlyList<RawSetting> settings, List<RouteOptions> routes, bool tls, List<ConfigError> errors)
    {
        var listeners = new List<ListenerOptions>();
        var given = settings.Where(s => s.Name == "listen").ToList();
        if (given.Count == 0)
        {
            errors.Add(new ConfigError("--listen", null, "at least one listener is required: --listen [SERVICE@]ADDR:PORT"));
        }

        if (routes.Count == 0 && !settings.Any(s => s.Name == "route"))
        {
            errors.Add(new ConfigError("--route", null, "at least one route is required: --route SERVICE=[tunnel:]HOST:PORT[,HOST:PORT]"));
        }

        // Services whose --route was given but is bad: that error already names them, so a listener is not told again.
        var named = settings.Where(s => s.Name == "route" && s.Value.Contains('=', StringComparison.Ordinal))
            .Select(s => s.Value[..s.Value.IndexOf('=', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        foreach (var s in given)
        {
            if (TryReadListener(s, routes, named, tls, out var listener, out var error))
            {
                if (listeners.Any(l => l.EndPoint.Port != 0 && l.EndPoint.Equals(listener!.EndPoint)))
                {
                    errors.Add(new ConfigError(s.Origin, s.Value, "this address is already listed; each listener needs its own ADDR:PORT"));
                }
                else
                {
                    listeners.Add(listener!);
                }
            }
            else if (error is not null)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, error));
            }
        }

        return listeners;
    }

    private static bool TryReadListener(RawSetting s, List<RouteOptions> routes, HashSet<string> named, bool tls, out ListenerOptions? listener, out string? error)
    {
        listener = null;
        var at = s.Value.IndexOf('@', StringComparison.Ordinal);
        var service = at >= 0 ? s.Value[..at] : null;
        var address = at >= 0 ? s.Value[(at + 1)..] : s.Value;
        if (!EndPointSyntax.TryParseIPEndPoint(address, out var endPoint, out var endPointError))
        {
            error = $"expected [SERVICE@]ADDR:PORT: {endPointError}";
            return false;
        }

        if (service is null)
        {
            if (tls && routes.Count > 1)
            {
                // With TLS the SNI name picks the route; a client whose name matches none is refused.
                service = "";
            }
            else if (routes.Count != 1)
            {
                // With no routes the --route error already says what is missing.
                error = routes.Count == 0 ? null
                    : $"name the service, as SERVICE@{address}: there are several routes ({string.Join(", ", routes.Select(r => r.Service))}) (with TLS, the SNI name may pick one instead)";
                return false;
            }
            else
            {
                service = routes[0].Service;
            }
        }
        else if (!RouteSyntax.IsValidServiceName(service))
        {
            error = RouteSyntax.ServiceNameExpected;
            return false;
        }
        else if (!routes.Any(r => r.Service == service))
        {
            error = named.Contains(service) ? null : $"no --route for service '{service}'; add --route {service}=HOST:PORT";
            return false;
        }

        listener = new ListenerOptions(service, endPoint!);
        error = null;
        return true;
    }
}
