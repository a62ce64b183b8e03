using System.Runtime.InteropServices;
using FastRelay.CommandLine;
using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Listening;
using FastRelay.Relaying;
using FastRelay.Tls;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>
/// Runs an edge as a process: logging, binding, waiting for SIGTERM/SIGINT, draining, exit code.
/// </summary>
internal static partial class EdgeHost
{
    public static async Task<int> RunAsync(EdgeOptions options, LoadedPolicy? policy, TlsMaterialStore? tls, CancellationToken cancellationToken, ILoggerFactory? loggers = null)
    {
        using var loggerFactory = loggers ?? Logging.CreateFactory(options.Log);
        using var revocation = tls?.Revocation as RevocationChecker;
        var logger = loggerFactory.CreateLogger("FastRelay.Host");
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var cancelled = cancellationToken.Register(() => stop.TrySetResult());

        options = FitToDescriptorLimit(options, logger);
        EdgeServer server;
        try
        {
            server = EdgeServer.Start(options, loggerFactory, TimeProvider.System, dialer: null, policy?.Policy, observer: null, tls);
        }
        catch (ListenerBindException ex)
        {
            await Console.Error.WriteLineAsync($"fastrelay: {ex.Message}");
            return ExitCodes.RuntimeFailure;
        }

        var version = typeof(EdgeHost).Assembly.GetName().Version?.ToString(3) ?? "?";
        Log.Started(logger, version, options.Listeners.Count, options.Routes.Count);
        using var reloader = options.PolicyFile is { } path ? new PolicyReloader(path, policy?.WriteTimeUtc ?? default, server.Policy, logger) : null;
        using var tlsReloader = server.Tls is { } store ? new TlsReloader(store, logger) : null;
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // SIGHUP means "reload" to a daemon, never "hang up": without this the runtime would exit.
            context.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ =>
            {
                // Both, each on its own: a bad certificate must not keep a good policy out, nor the reverse.
                var policyReloaded = reloader?.Reload("SIGHUP") ?? false;
                var tlsReloaded = tlsReloader?.Reload("SIGHUP") ?? false;
                if (tlsReloaded && server.Tls?.Current.ClientCa is { } bundle)
                {
                    revocation?.Crls?.ReplaceTrust(bundle.Certificates); // Re-reads the CRLs against the new bundle.
                }
                else
                {
                    _ = revocation?.Crls?.Reload("SIGHUP"); // Failures are logged per file; the old CRLs stay.
                }

                if (!policyReloaded && !tlsReloaded)
                {
                    Log.NothingReloaded(logger);
                }
            });
        });
        await stop.Task;
        await server.StopAsync(options.DrainTimeout);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 6, EventName = "NothingReloaded", Level = LogLevel.Information,
            Message = "SIGHUP: nothing new was loaded (no --policy or TLS files, or the new versions were refused; see above)")]
        public static partial void NothingReloaded(ILogger logger);

        [LoggerMessage(EventId = 5, EventName = "ConnectionsCappedByDescriptorLimit", Level = LogLevel.Warning,
            Message = "--max-connections {Requested} needs about {Needed} file descriptors (two per connection, plus the process's own), but the limit is {Limit}; serving at most {Allowed} connections (raise LimitNOFILE / ulimit -n)")]
        public static partial void ConnectionsCappedByDescriptorLimit(ILogger logger, int requested, long needed, ulong limit, int allowed);

        [LoggerMessage(EventId = 1, EventName = "Starting", Level = LogLevel.Information,
            Message = "FastRelay {Version} edge running: {Listeners} listeners, {Routes} routes")]
        public static partial void Started(ILogger logger, string version, int listeners, int routes);

        [LoggerMessage(EventId = 3, EventName = "Stopped", Level = LogLevel.Information,
            Message = "Stopped; {Connections} connections were served; {BufferBlocks} buffer blocks were created, {Gen0Collections} gen0 GCs ran, {AllocatedKiB} KiB were allocated in all")]
        public static partial void Stopped(ILogger logger, long connections, long bufferBlocks, int gen0Collections, long allocatedKiB);
    }
}
