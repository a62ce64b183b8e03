using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using FastRelay.Admin;
using FastRelay.Audit;
using FastRelay.CommandLine;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Filtering;
using FastRelay.Handoff;
using FastRelay.Listening;
using FastRelay.Observing;
using FastRelay.Relaying;
using FastRelay.Tls;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// Runs an edge as a process: logging, metrics and the admin endpoint, binding (or taking the sockets
/// over from the process it replaces), readiness to systemd, waiting for SIGTERM/SIGINT or POST /drain,
/// draining, exit code.
/// </summary>
internal static partial class EdgeHost
{
    /// <param name="options">The validated flags and config file.</param>
    /// <param name="policy">The policy as first loaded, or null.</param>
    /// <param name="tls">The certificates as first loaded (with the revocation checker), or null for plain TCP.</param>
    /// <param name="rebuild">Reads and validates the flags and config file again (the config step of a reload); null for none.</param>
    /// <param name="cancellationToken">Stops the edge like SIGTERM.</param>
    /// <param name="loggers">The logger factory the revocation checker already logs to; null makes one.</param>
    /// <param name="tunnel">The tunnel key and gateway authentication, for an edge with <c>--gateway</c>; null otherwise.</param>
    public static async Task<int> RunAsync(EdgeOptions options, LoadedPolicy? policy, TlsMaterialStore? tls, Func<(EdgeOptions? Options, IReadOnlyList<string> Errors)>? rebuild,
        CancellationToken cancellationToken, ILoggerFactory? loggers = null, LoadedTunnelIdentity? tunnel = null)
    {
        using var loggerFactory = loggers ?? Logging.CreateFactory(options.Log);
        using var revocation = tls?.Revocation as RevocationChecker;
        var logger = loggerFactory.CreateLogger("FastRelay.Host");
        var notifier = SystemdNotifier.FromEnvironment();
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var cancelled = cancellationToken.Register(() => stop.TrySetResult());

        var configured = options;
        if (!TryStartAudit(options.Audit, loggerFactory, out var audit, out var auditError))
        {
            return await FailAsync(auditError);
        }

        await using var auditLog = audit;
        var version = typeof(EdgeHost).Assembly.GetName().Version?.ToString(3) ?? "?";
        using var metrics = options.Admin is null ? null : new RelayMetrics(version);
        using var exporter = metrics is null ? null : new PrometheusExporter(metrics.Meter);
        var state = new AdminState { Version = version, Time = TimeProvider.System, StartedAt = TimeProvider.System.GetUtcNow(), Options = options, Metrics = exporter };
        state.ReadinessChecks.Add(new ListenersReadinessCheck(state));
        using var tunnelKeys = tunnel;
        await using var tunnelPool = CreateTunnelPool(options, tunnel, loggerFactory, metrics, state);
        await using var admin = new AdminLifetime(options.Admin, state, loggerFactory);

        // Step 1: a zero-downtime restart takes the listening sockets of the process serving on --handoff
        // (which closes its admin endpoint first, for step 2). Any failure before step 4 leaves it serving.
        HandoffClient? takeover;
        try
        {
            takeover = options.HandoffPath is { } path ? HandoffClient.TryTakeOver(path) : null;
        }
        catch (HandoffException ex)
        {
            return await FailAsync(ex.Message);
        }

        EdgeServer server;
        var inherited = takeover?.Sockets.Count ?? 0;
        using (takeover)
        {
            // Step 2: the admin endpoint; step 3: the listeners (inherited ones accept at once).
            try
            {
                await admin.StartAsync();

                // After the audit log and the admin endpoint have opened their files, sockets and threads:
                // what they hold is not there for connections.
                options = FitToDescriptorLimit(options, logger);
                IConnectionObserver[] observers = [.. new IConnectionObserver?[] { audit?.Observer, metrics is null ? null : new MetricsObserver(metrics) }.OfType<IConnectionObserver>()];
                tunnelPool?.Start(); // Pre-warm before the first client: new sessions never wait for a handshake.
                server = EdgeServer.Start(options, loggerFactory, TimeProvider.System, dialer: null, policy?.Policy, new ConnectionObservers(observers), tls, takeover?.Sockets, tunnelPool);
            }
            catch (Exception ex) when (ex is AdminBindException or ListenerBindException)
            {
                return await FailAsync(ex.Message);
            }

            // Step 4: tell the old process; it stops accepting and drains.
            if (takeover is not null)
            {
                takeover.Confirm();
                Log.TookOver(logger, options.HandoffPath!, options.Listeners.Count - (inherited - takeover.Sockets.Count), options.Listeners.Count);
            }
        }

        if (metrics is not null)
        {
            ObserveGauges(metrics, server, audit, options);
        }

        WireBalancing(server, state, metrics);
        WireAdminActions(state, server, logger, () => stop.TrySetResult(), rebuild is null ? null : ConfigChanges.Step(configured, rebuild, o => ApplyRoutes(server, o, logger)));

        using var reloader = options.PolicyFile is { } policyPath ? new PolicyReloader(policyPath, policy?.WriteTimeUtc ?? default, server.Policy, logger,
            options.RecheckEstablished ? server.RecheckEstablished : null) : null;
        if (reloader is not null)
        {
            state.ReloadSteps.Add(trigger => reloader.Reload(trigger)
                ? (true, $"policy {options.PolicyFile}: version {server.Policy.Version} installed")
                : (false, $"policy {options.PolicyFile}: refused, version {server.Policy.Version} stays: {ReloadErrors.Join(reloader.LastErrors)}"));
        }

        if (tunnel?.ReloadStep is { } tunnelCrls)
        {
            tunnel.Revocation!.Logger = loggerFactory.CreateLogger("FastRelay.Revocation");
            state.ReloadSteps.Add(tunnelCrls);
        }

        using var tlsReloader = server.Tls is { } store ? new TlsReloader(store, logger) : null;
        if (tlsReloader is not null)
        {
            state.ReloadSteps.Add(trigger => ReloadTls(tlsReloader, server, revocation, trigger));
            state.Certificates.Add(() => Certificates(server));
            metrics?.ObserveCertificateExpiry(() => CertificateExpiry(server));
        }

        state.ActionsReady = true; // Every reload step is in place: POST /reload and /drain are answered from now on.

        // Step 5: answer the next restart.
        await using var handoff = StartHandoff(options, new EdgeRestart(server, admin, () => state.Drain!("handoff")), logger);
        Log.Started(logger, version, options.Listeners.Count, options.Routes.Count);
        foreach (var ignored in options.Ignored)
        {
            Log.SettingIgnored(logger, ignored);
        }

        NotifySystemd(notifier, logger, $"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=serving {options.Listeners.Count} listeners");

        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // SIGHUP means "reload" to a daemon, never "hang up": without this the runtime would exit.
            context.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ =>
            {
                // Every step logs its outcome (Reloaded above); when none loaded anything new, that is said once more.
                var routesBefore = server.Routes.Version;
                if (!state.Reload("SIGHUP").Succeeded || (reloader is null && tlsReloader is null && tunnel?.Revocation is null && server.Routes.Version == routesBefore))
                {
                    Log.NothingReloaded(logger);
                }
            });
        });
        await stop.Task;
        NotifySystemd(notifier, logger, $"STOPPING=1\nSTATUS=draining {server.ActiveConnections} connections");
        await server.StopAsync(options.DrainTimeout);
        if (tunnelPool is not null)
        {
            // After the drain: the streams have ended; GOAWAY tells the gateways we are leaving. They answer at once,
            // so their connections' close lines are logged before "Stopped"; one that does not is closed at dispose.
            await tunnelPool.DrainAllAsync(TimeSpan.FromSeconds(1));
        }

        // After the drain, so that every connection's last record is queued before the audit log flushes.
        if (audit is not null)
        {
            await audit.StopAsync();
        }

        var (gen0, allocatedKiB) = (GC.CollectionCount(0), GC.GetTotalAllocatedBytes() >> 10);
        Log.Stopped(logger, server.Closed.Total, server.Memory.BlocksCreated, gen0, allocatedKiB);
        return ExitCodes.Success;

        void OnSignal(PosixSignalContext context)
        {
            // Keep the runtime from exiting at once: the drain decides when the process ends.
            context.Cancel = true;
            stop.TrySetResult();
        }
    }

    // Certificates and CRLs, each on its own: a bad certificate must not keep a good CRL out, nor the reverse.
    private static (bool, string) ReloadTls(TlsReloader reloader, EdgeServer server, RevocationChecker? revocation, string trigger)
    {
        var reloaded = reloader.Reload(trigger);
        if (reloaded && server.Tls?.Current.ClientCa is { } bundle)
        {
            revocation?.Crls?.ReplaceTrust(bundle.Certificates, trigger); // Re-reads the CRLs against the new bundle.
        }
        else
        {
            _ = revocation?.Crls?.Reload(trigger); // Failures are logged per file; the old CRLs stay.
        }

        var version = server.Tls?.Version ?? 0;
        return reloaded
            ? (true, $"certificates: version {version} installed")
            : (false, $"certificates: refused, version {version} stays: {ReloadErrors.Join(reloader.LastErrors)}");
    }

    // The server certificate and the client CAs, for /status.
    private static IEnumerable<CertificateStatus> Certificates(EdgeServer server)
    {
        if (server.Tls?.Current is not { } material)
        {
            yield break;
        }

        var leaf = material.Server.Leaf;
        yield return new CertificateStatus("server", leaf.Subject, leaf.NotAfter.ToUniversalTime());
        foreach (var ca in material.ClientCa?.Certificates ?? [])
        {
            yield return new CertificateStatus("client-ca", ca.Subject, ca.NotAfter.ToUniversalTime());
        }
    }

    // fastrelay_tls_certificate_expiry_seconds{certificate="..."}: seconds left, per certificate of /status.
    private static IEnumerable<Measurement<double>> CertificateExpiry(EdgeServer server)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var certificate in Certificates(server))
        {
            yield return new Measurement<double>((certificate.NotAfter - now).TotalSeconds,
                new KeyValuePair<string, object?>("certificate", $"{certificate.Name}: {certificate.Subject}"));
        }
    }

    // The gauges read at each scrape, and the counters a dashboard should see at zero from the start.
    private static void ObserveGauges(RelayMetrics metrics, EdgeServer server, AuditLog? audit, EdgeOptions options)
    {
        metrics.ObserveActiveConnections(() => server.ActiveConnections);
        metrics.ObserveSplicePipes(() =>
        {
            var (inUse, idle) = server.SplicePipeCounts;
            return [new(inUse, new KeyValuePair<string, object?>("state", "in_use")), new(idle, new KeyValuePair<string, object?>("state", "idle"))];
        });
        if (audit is not null)
        {
            metrics.ObserveAudit(() => audit.Stats.QueueDepth, () => audit.Stats.SpoolBytes);
            metrics.ObserveAuditRecords(() => AuditMeasurements(audit.Stats));
        }

        metrics.Seed(options.Routes.Select(r => r.Service));
        if (server.Discovery is { } discovery)
        {
            FastRelay.Routing.Discovery.DiscoveryMetrics.Observe(metrics.Meter, discovery.Cache, discovery.Hosts);
        }
    }

    // What POST /drain and /reload do, and the log line of each reload (SIGHUP included).
    private static void WireAdminActions(AdminState state, EdgeServer server, ILogger logger, Action stop, Func<string, (bool, string)>? configStep)
    {
        state.Server = server;
        WireDrainAndReloadLog(state, logger, stop);
        if (configStep is not null)
        {
            state.ReloadSteps.Add(configStep);
        }
    }

    /// <summary>What POST /drain does (the same as SIGTERM) and the log line of every reload (SIGHUP too): both roles.</summary>
    internal static void WireDrainAndReloadLog(AdminState state, ILogger logger, Action stop)
    {
        state.Drain = trigger =>
        {
            Log.DrainRequested(logger, trigger);
            stop();
        };
        state.Reloaded = (trigger, report) =>
        {
            var messages = string.Join("; ", report.Messages); // A reload is rare: the join costs nothing that matters.
            Log.Reloaded(logger, trigger, report.Succeeded ? "done" : "incomplete", messages);
        };
    }

    private static async Task<int> FailAsync(string reason)
    {
        await Console.Error.WriteLineAsync($"fastrelay: {reason}");
        return ExitCodes.RuntimeFailure;
    }

    private static HandoffServer? StartHandoff(EdgeOptions options, EdgeRestart restart, ILogger logger)
    {
        if (options.HandoffPath is not { } path)
        {
            return null;
        }

        try
        {
            return HandoffServer.Start(path, restart, logger);
        }
        catch (HandoffException ex)
        {
            // Serving matters more than the next restart: say so loudly and go on.
            Log.HandoffUnavailable(logger, ex.Message);
            return null;
        }
    }

    private static void NotifySystemd(SystemdNotifier notifier, ILogger logger, string state)
    {
        if (notifier.Notify(state) is { } failure)
        {
            Log.SystemdNotifyFailed(logger, failure);
        }
    }

    private static EdgeOptions FitToDescriptorLimit(EdgeOptions options, ILogger logger)
    {
        if (FileDescriptorLimit.Raise() is not { } limit)
        {
            return options;
        }

        var openNow = FileDescriptorLimit.OpenNow();
        var allowed = FileDescriptorLimit.MaxConnections(limit, openNow);
        if (options.MaxConnections <= allowed)
        {
            return options;
        }

        var needed = ((long)options.MaxConnections * FileDescriptorLimit.PerConnection) + openNow + FileDescriptorLimit.Headroom;
        Log.ConnectionsCappedByDescriptorLimit(logger, options.MaxConnections, needed, limit, allowed);
        return options with { MaxConnections = allowed };
    }
}
