using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using FastRelay.Admin;
using FastRelay.Audit;
using FastRelay.CommandLine;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Gateway;
using FastRelay.Listening;
using FastRelay.Observing;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// Runs a gateway (exit node) as a process: logging, the audit log, metrics and the admin endpoint, the tunnel
/// listener, the policy reloader, SIGTERM/SIGINT (or POST /drain) to drain, exit code.
/// </summary>
internal static partial class GatewayHost
{
    /// <param name="options">The validated flags and config file.</param>
    /// <param name="policy">The Outbound policy as first loaded; null only with --allow-any-target.</param>
    /// <param name="identity">This node's key and the edges' authentication (owned: zeroized at exit).</param>
    /// <param name="cancellationToken">Stops the gateway like SIGTERM.</param>
    /// <param name="rebuild">Reads and validates the flags, config file and the files they name again (the config step of a reload); null for none.</param>
    public static async Task<int> RunAsync(GatewayOptions options, LoadedPolicy? policy, LoadedTunnelIdentity identity, CancellationToken cancellationToken,
        Func<(GatewayOptions? Options, IReadOnlyList<string> Errors)>? rebuild = null)
    {
        var configured = options; // As the flags gave it: what a reload's config step compares with (the limits fitted below are not).
        using var keys = identity;
        using var loggerFactory = Logging.CreateFactory(options.Log);
        var logger = loggerFactory.CreateLogger("FastRelay.Host");
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var cancelled = cancellationToken.Register(() => stop.TrySetResult());

        if (!EdgeHost.TryStartAudit(options.Audit, loggerFactory, out var audit, out var auditError))
        {
            return await FailAsync(auditError);
        }

        await using var auditLog = audit;
        var version = typeof(GatewayHost).Assembly.GetName().Version?.ToString(3) ?? "?";
        using var metrics = options.Admin is null ? null : new RelayMetrics(version);
        using var exporter = metrics is null ? null : new PrometheusExporter(metrics.Meter);

        // The admin state is the edge's, with no routes: /status lists its listener and streams through AdminState.Traffic (Wire)
        // and the edges as its "gateways" entries.
        var state = new AdminState
        {
            Version = version, Time = TimeProvider.System, StartedAt = TimeProvider.System.GetUtcNow(), Metrics = exporter,
            Options = new EdgeOptions { Listeners = [], Routes = [], DrainTimeout = options.DrainTimeout, PolicyFile = options.PolicyFile, Admin = options.Admin },
        };
        await using var admin = new AdminLifetime(options.Admin, state, loggerFactory);
        GatewayServer server;
        try
        {
            await admin.StartAsync();
            IConnectionObserver[] observers = [.. new IConnectionObserver?[] { audit?.Observer, metrics is null ? null : new GatewayMetricsObserver(metrics) }.OfType<IConnectionObserver>()];
            options = FitToDescriptorLimit(options, logger); // After the audit and admin sockets: they are counted as open.
            server = GatewayServer.Start(options, identity.LocalStatic, identity.Peers, policy?.Policy, loggerFactory, TimeProvider.System,
                new ConnectionObservers(observers), dialer: null);
        }
        catch (Exception ex) when (ex is AdminBindException or ListenerBindException)
        {
            // The gateway's one listener has no service of its own to name (README, "Exit codes").
            return await FailAsync(ex.Message.Replace(" for service 'tunnel'", "", StringComparison.Ordinal));
        }

        await using var running = server;
        Wire(state, server, metrics, audit, logger, () => stop.TrySetResult());
        if (rebuild is not null)
        {
            // First, as on the edge: a bad config is said before the rest. New --edge-key lists are installed at once, and the
            // tunnels of edges no longer listed are closed (a key revoked without a restart).
            state.ReloadSteps.Add(ConfigChanges.GatewayStep(configured, rebuild, identity.Peers.IsCertificateMode ? null : keys =>
            {
                identity.Peers.ReplacePinnedKeys(keys);
                var closed = server.RecheckEdges();
                return $"edge-key: {keys.Count} key{(keys.Count == 1 ? "" : "s")} pinned; {closed} tunnel connection{(closed == 1 ? "" : "s")} of edges no longer listed closed";
            }));
        }

        using var reloader = options.PolicyFile is { } policyPath ? new PolicyReloader(policyPath, policy?.WriteTimeUtc ?? default, server.Policy, logger,
            options.RecheckEstablished ? server.RecheckEstablished : null) : null;
        if (reloader is not null)
        {
            state.ReloadSteps.Add(trigger => reloader.Reload(trigger)
                ? (true, $"policy {options.PolicyFile}: version {server.Policy.Version} installed")
                : (false, $"policy {options.PolicyFile}: refused, version {server.Policy.Version} stays: {ReloadErrors.Join(reloader.LastErrors)}"));
        }

        if (identity.ReloadStep is { } tunnelCrls)
        {
            identity.Revocation!.Logger = loggerFactory.CreateLogger("FastRelay.Revocation");
            state.ReloadSteps.Add(tunnelCrls);
        }

        state.ActionsReady = true; // Every reload step is in place: POST /reload and /drain are answered from now on.
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // Reload, never exit.
            ThreadPool.QueueUserWorkItem(_ => state.Reload("SIGHUP"));
        });

        Log.Started(logger, version, server.EndPoint, options.PolicyFile ?? "none (--allow-any-target: every target may be dialled)");
        foreach (var ignored in options.Ignored)
        {
            Log.SettingIgnored(logger, ignored);
        }
        await stop.Task;
        await server.StopAsync(options.DrainTimeout);
        if (audit is not null)
        {
            await audit.StopAsync();
        }

        Log.Stopped(logger, server.Stats.Handshakes, server.Stats.StreamsAccepted, server.Stats.StreamsRejected);
        return ExitCodes.Success;

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // The drain decides when the process ends.
            stop.TrySetResult();
        }
    }

    // An edge keeps several tunnel connections (its pool): both counts, the edges told apart by their keys.
    private static string TunnelsLine(GatewayServer server)
    {
        var (tunnels, edges) = (server.Stats.Connections, server.EdgeCount);
        return $"listening on {server.EndPoint}, {tunnels} tunnel connection{(tunnels == 1 ? "" : "s")} from {edges} edge{(edges == 1 ? "" : "s")}";
    }

    /// <summary>The gateway's refusals at its limits, one series per limit (the bound each flag or the open-file limit sets).</summary>
    internal static IEnumerable<Measurement<long>> RefusalMeasurements(GatewayStats stats) =>
    [
        new(stats.StreamsOverMaxStreams, new KeyValuePair<string, object?>("limit", "max_streams")),
        new(stats.StreamsOverDescriptors, new KeyValuePair<string, object?>("limit", "stream_descriptors")),
        new(stats.TunnelsLimited, new KeyValuePair<string, object?>("limit", "tunnel_descriptors")),
        new(stats.HandshakesOverMax, new KeyValuePair<string, object?>("limit", "max_handshakes")),
        new(stats.HandshakesOverPerSource, new KeyValuePair<string, object?>("limit", "max_handshakes_per_source")),
        new(stats.HandshakesRateLimited, new KeyValuePair<string, object?>("limit", "handshake_rate")),
    ];

    // /readyz, /status, the gauges, what POST /drain does and the reload log line.
    private static void Wire(AdminState state, GatewayServer server, RelayMetrics? metrics, AuditLog? audit, ILogger logger, Action stop)
    {
        state.Role = (server.Policy, () => server.IsStopping);
        var stats = server.Stats;
        // Closed as the metrics count it: streams that ended or were refused, and refused tunnel connections.
        state.Traffic = (() => [(GatewayContext.Service, server.EndPoint)], () => stats.ActiveStreams,
            () => stats.StreamsAccepted - stats.ActiveStreams + stats.StreamsRejected + stats.HandshakesFailed + stats.HandshakesLimited + stats.HandshakesRateLimited
                + stats.TunnelsLimited);
        state.ReadinessChecks.Add(new DelegateReadinessCheck("tunnels", () => server.IsStopping ? (false, "draining") : (true, TunnelsLine(server))));
        state.Gateways.Add(() => server.Edges.Select(e => new GatewayStatus($"edge {e.Edge}", true, $"{e.Peer}, {e.Streams} streams, epoch {e.Epoch}")));
        EdgeHost.WireDrainAndReloadLog(state, logger, stop);
        if (metrics is null)
        {
            return;
        }

        var listen = server.EndPoint.ToString();
        metrics.ObserveActiveConnections(() => server.Stats.ActiveStreams);
        metrics.ObserveTunnelConnections(() => [new Measurement<long>(server.Stats.Connections, new KeyValuePair<string, object?>("gateway", listen))]);
        metrics.ObserveGatewayRefusals(() => RefusalMeasurements(stats));
        if (audit is not null)
        {
            metrics.ObserveAudit(() => audit.Stats.QueueDepth, () => audit.Stats.SpoolBytes);
            metrics.ObserveAuditRecords(() => EdgeHost.AuditMeasurements(audit.Stats));
        }

        metrics.Seed([GatewayContext.Service]);
    }

    // The open-file limit, raised to its hard limit (as the edge does), bounds tunnels and target sockets together: the
    // server refuses what would pass it (DescriptorBudget), and --max-streams is lowered so that streams alone never take
    // the room of the tunnels (the half-open handshakes' slots and as many established tunnels again).
    private static GatewayOptions FitToDescriptorLimit(GatewayOptions options, ILogger logger)
    {
        if (FileDescriptorLimit.Raise() is not { } limit)
        {
            return options;
        }

        var openNow = FileDescriptorLimit.OpenNow();
        var budget = (int)Math.Clamp((long)Math.Min(limit, int.MaxValue) - openNow - FileDescriptorLimit.Headroom, 1, int.MaxValue);
        var tunnels = Math.Min(2 * options.MaxHandshakes, budget / 4); // A large --max-handshakes must not starve the streams.
        var allowed = Math.Max(1, budget - tunnels);
        if (options.MaxStreams == 0)
        {
            options = options with { MaxStreams = allowed }; // The default: what the limit allows.
        }
        else if (options.MaxStreams > allowed)
        {
            Log.StreamsCappedByDescriptorLimit(logger, options.MaxStreams, (long)options.MaxStreams + tunnels + openNow + FileDescriptorLimit.Headroom, limit, allowed);
            options = options with { MaxStreams = allowed };
        }

        return options with { DescriptorBudget = budget };
    }

    private static async Task<int> FailAsync(string reason)
    {
        await Console.Error.WriteLineAsync($"fastrelay: {reason}");
        return ExitCodes.RuntimeFailure;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 688, EventName = "GatewayStarted", Level = LogLevel.Information,
            Message = "FastRelay {Version} gateway running: tunnels on {EndPoint}; Outbound policy {Policy}")]
        public static partial void Started(ILogger logger, string version, System.Net.IPEndPoint endPoint, string policy);

        // The edge's event 5: the same cap, counted in streams.
        [LoggerMessage(EventId = 5, EventName = "ConnectionsCappedByDescriptorLimit", Level = LogLevel.Warning,
            Message = "--max-streams {Requested} needs about {Needed} file descriptors (one per stream, the tunnels' and the process's own), but the limit is {Limit}; serving at most {Allowed} streams (raise LimitNOFILE / ulimit -n)")]
        public static partial void StreamsCappedByDescriptorLimit(ILogger logger, int requested, long needed, ulong limit, int allowed);

        // The edge's event 7.
        [LoggerMessage(EventId = 7, EventName = "SettingIgnored", Level = LogLevel.Warning, Message = "{Setting}")]
        public static partial void SettingIgnored(ILogger logger, FastRelay.Configuration.ConfigError setting);

        [LoggerMessage(EventId = 3, EventName = "Stopped", Level = LogLevel.Information,
            Message = "Stopped; {Handshakes} tunnels were authenticated, {Streams} streams relayed, {Refused} refused")]
        public static partial void Stopped(ILogger logger, long handshakes, long streams, long refused);
    }
}
