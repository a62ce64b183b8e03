using System.Collections.Frozen;
using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// The edge's routes, swappable as a whole by a reload (SIGHUP, POST /reload): new sessions see the new targets
/// and weights at once, sessions already open keep their backend. The set of services is fixed for the
/// process's life (listeners and the SNI router name them); a reload that adds or drops a service is refused.
/// </summary>
/// <remarks>
/// Thread-safe: one immutable snapshot behind a volatile reference (STYLE H7). Each route keeps its target list
/// instance until a reload changes that route, so the picker's per-list cache stays warm across reloads of
/// other routes.
/// </remarks>
public sealed class RouteTable
{
    private readonly Lock _replacing = new();
    private volatile FrozenDictionary<string, RouteOptions> _routes;
    private int _version = 1;

    /// <summary>A table of <paramref name="routes"/> (one per service).</summary>
    public RouteTable(IReadOnlyList<RouteOptions> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = routes.ToFrozenDictionary(r => r.Service, StringComparer.Ordinal);
        Services = [.. routes.Select(r => r.Service)];
    }

    /// <summary>The services, in configuration order.</summary>
    public IReadOnlyList<string> Services { get; }

    /// <summary>1 at start, +1 per reload that changed something.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The routes now, in configuration order.</summary>
    public IReadOnlyList<RouteOptions> Current
    {
        get
        {
            var routes = _routes;
            return [.. Services.Select(s => routes[s])];
        }
    }

    /// <summary>The route of <paramref name="service"/>; <see cref="KeyNotFoundException"/> for a service not configured.</summary>
    public RouteOptions this[string service] => _routes[service];

    /// <summary>The route of <paramref name="service"/>, if it has one.</summary>
    public bool TryGet(string service, out RouteOptions route) => _routes.TryGetValue(service, out route!);

    /// <summary>
    /// Installs <paramref name="routes"/> when they name the same services; a route whose targets are unchanged
    /// keeps its old instance. Returns the services whose targets changed (empty: nothing to do), or null with
    /// <paramref name="error"/> when the services differ.
    /// </summary>
    public IReadOnlyList<string>? TryReplace(IReadOnlyList<RouteOptions> routes, out string error)
    {
        ArgumentNullException.ThrowIfNull(routes);
        lock (_replacing)
        {
            return Replace(routes, out error);
        }
    }

    // Under the lock: a SIGHUP and a POST /reload at once must not both build on the same old table.
    private List<string>? Replace(IReadOnlyList<RouteOptions> routes, out string error)
    {
        var old = _routes;
        var added = routes.Select(r => r.Service).Where(s => !old.ContainsKey(s)).ToList();
        var dropped = Services.Where(s => routes.All(r => r.Service != s)).ToList();
        if (added.Count > 0 || dropped.Count > 0)
        {
            error = $"the services changed ({(added.Count > 0 ? "added " + string.Join(", ", added) : "")}{(added.Count > 0 && dropped.Count > 0 ? "; " : "")}{(dropped.Count > 0 ? "dropped " + string.Join(", ", dropped) : "")}): "
                + "listeners name them, so that takes a restart (--handoff); the running routes stay";
            return null;
        }

        var changed = routes.Where(r => !old[r.Service].Targets.SequenceEqual(r.Targets)).Select(r => r.Service).ToList();
        error = "";
        if (changed.Count == 0)
        {
            return changed;
        }

        _routes = routes.Select(r => changed.Contains(r.Service) ? r : old[r.Service]).ToFrozenDictionary(r => r.Service, StringComparer.Ordinal);
        Interlocked.Increment(ref _version);
        return changed;
    }
}
