using FastRelay.Configuration;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

internal static partial class EdgeHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6, EventName = "NothingReloaded", Level = LogLevel.Information,
            Message = "SIGHUP: nothing new was loaded (no --policy, no route change, or the new version was refused; see above)")]
        public static partial void NothingReloaded(ILogger logger);

        [LoggerMessage(EventId = 5, EventName = "ConnectionsCappedByDescriptorLimit", Level = LogLevel.Warning,
            Message = "--max-connections {Requested} needs about {Needed} file descriptors (two per connection, plus the process's own and the splice pipes'), but the limit is {Limit}; serving at most {Allowed} connections (raise LimitNOFILE / ulimit -n)")]
        public static partial void ConnectionsCappedByDescriptorLimit(ILogger logger, int requested, long needed, ulong limit, int allowed);

        [LoggerMessage(EventId = 1, EventName = "Starting", Level = LogLevel.Information,
            Message = "FastRelay {Version} edge running: {Listeners} listeners, {Routes} routes")]
        public static partial void Started(ILogger logger, string version, int listeners, int routes);

        [LoggerMessage(EventId = 7, EventName = "SettingIgnored", Level = LogLevel.Warning,
            Message = "{Setting}")]
        public static partial void SettingIgnored(ILogger logger, ConfigError setting);

        [LoggerMessage(EventId = 3, EventName = "Stopped", Level = LogLevel.Information,
            Message = "Stopped; {Connections} connections were served; {BufferBlocks} buffer blocks were created, {Gen0Collections} gen0 GCs ran, {AllocatedKiB} KiB were allocated in all")]
        public static partial void Stopped(ILogger logger, long connections, long bufferBlocks, int gen0Collections, long allocatedKiB);

        [LoggerMessage(EventId = 801, EventName = "AdminReload", Level = LogLevel.Information,
            Message = "Reload ({Trigger}) {Outcome}: {Messages}")]
        public static partial void Reloaded(ILogger logger, string trigger, string outcome, string messages);

        [LoggerMessage(EventId = 802, EventName = "AdminDrain", Level = LogLevel.Information,
            Message = "Drain requested ({Trigger})")]
        public static partial void DrainRequested(ILogger logger, string trigger);

        [LoggerMessage(EventId = 811, EventName = "HandoffTakenOver", Level = LogLevel.Information,
            Message = "Took over from the process on handoff socket {Path}: {Bound} of {Listeners} listeners bound anew, the rest inherited with their queued clients")]
        public static partial void TookOver(ILogger logger, string path, int bound, int listeners);

        [LoggerMessage(EventId = 813, EventName = "HandoffAborted", Level = LogLevel.Error,
            Message = "Zero-downtime restarts are unavailable: {Reason}")]
        public static partial void HandoffUnavailable(ILogger logger, string reason);

        [LoggerMessage(EventId = 820, EventName = "SystemdNotifyFailed", Level = LogLevel.Warning,
            Message = "Could not notify systemd: {Reason}")]
        public static partial void SystemdNotifyFailed(ILogger logger, string reason);
    }
}
