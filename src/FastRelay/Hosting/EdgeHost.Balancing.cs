using System.Diagnostics.Metrics;
using FastRelay.Admin;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Relaying;
using FastRelay.Routing;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>Balancing's hooks (README, "Load balancing and health checks"): backend metrics, /status, and the route swap of a reload.</summary>
internal static partial class EdgeHost
{
    /// <summary>Exports every route backend's state to /metrics and /status.</summary>
    private static void WireBalancing(EdgeServer server, AdminState state, RelayMetrics? metrics)
    {
        metrics?.ObserveBackends(
            () => RouteBackends(server).Select(b => Measure(b.Backend.IsAvailable(TimeProvider.System.GetTimestamp()) ? 1 : 0, b.Service, b.Backend)),
            () => RouteBackends(server).Select(b => Measure(b.Backend.Outstanding, b.Service, b.Backend)),
            () => RouteBackends(server).Select(b => Measure(b.Backend.Ejections, b.Service, b.Backend)));
        state.Balancing = (() => server.Routes.Current, () => RouteBackends(server).Select(b => new BackendStatus(b.Service, b.Backend.Name, b.Target.Weight,
            b.Backend.IsHealthy, b.Backend.IsEjected, b.Backend.Outstanding, b.Backend.ConnectLatency.Milliseconds, b.Backend.Ejections, b.Backend.ConnectFailures)));
    }

    /// <summary>
    /// The route part of a reload: swaps in <paramref name="options"/>' targets and weights. New sessions see them at
    /// once; open ones keep their backend; each backend keeps its state (by identity). A change of services is refused.
    /// </summary>
    private static (bool Succeeded, bool Changed, string Message) ApplyRoutes(EdgeServer server, EdgeOptions options, ILogger logger)
    {
        // --gateway takes effect on a restart only: tunnel: targets on an edge started without a gateway pool would
        // fail every session while the reload said "done".
        if (!server.HasTunnel && options.Routes.SelectMany(r => r.Targets).FirstOrDefault(t => t.ViaTunnel) is { } tunnelTarget)
        {
            var why = $"target {tunnelTarget} needs a --gateway, and this edge was started without one (restart to add gateways)";
            Log.RoutesReloadRefused(logger, why);
            return (false, false, $"routes: refused, version {server.Routes.Version} stays: {why}");
        }

        // Touch every new target while the old routes still hold their states: a backend's ejection, latency and
        // counters carry over even if the old lists are collected before the first pick builds the new ones.
        foreach (var target in options.Routes.SelectMany(r => r.Targets))
        {
            _ = server.Backends.Get(target);
        }

        if (server.Routes.TryReplace(options.Routes, out var error) is not { } changed)
        {
            Log.RoutesReloadRefused(logger, error);
            return (false, false, $"routes: refused, version {server.Routes.Version} stays: {error}");
        }

        if (changed.Count == 0)
        {
            return (true, false, "routes: unchanged");
        }

        var described = string.Join("; ", server.Routes.Current.Where(r => changed.Contains(r.Service))
            .Select(r => $"{r.Service}={string.Join(",", r.Targets.Select(t => t.Weight == 1 ? t.ToString() : $"{t};weight={t.Weight}"))}"));
        Log.RoutesReloaded(logger, server.Routes.Version, described);
        return (true, true, $"routes: version {server.Routes.Version} installed ({described})");
    }

    // Each (service, backend) pair of the routes in force, with the backend's shared state.
    private static IEnumerable<(string Service, TargetOptions Target, BackendState Backend)> RouteBackends(EdgeServer server) =>
        server.Routes.Current.SelectMany(r => r.Targets.Select(t => (r.Service, t, server.Backends.Get(t))));

    private static Measurement<long> Measure(long value, string service, BackendState backend) =>
        new(value, new KeyValuePair<string, object?>("service", service), new KeyValuePair<string, object?>("backend", backend.Name));

    private static partial class Log
    {
        [LoggerMessage(EventId = 345, EventName = "RoutesReloaded", Level = LogLevel.Information,
            Message = "Routes version {Version} in force for new sessions: {Routes}")]
        public static partial void RoutesReloaded(ILogger logger, int version, string routes);

        [LoggerMessage(EventId = 346, EventName = "RoutesReloadRefused", Level = LogLevel.Warning,
            Message = "Routes not reloaded: {Reason}")]
        public static partial void RoutesReloadRefused(ILogger logger, string reason);
    }
}
