using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using FastRelay.Audit;
using FastRelay.Configuration;
using Microsoft.Extensions.Logging;

namespace FastRelay.Hosting;

/// <summary>Starting the audit log (README "Audit log"), before the listeners so no decision goes unrecorded.</summary>
internal static partial class EdgeHost
{
    /// <summary>
    /// Starts the audit log unless it is off. False (with a one-line reason) only when the spool directory is
    /// unusable: an unreachable database is not a reason to refuse to start, records wait in the spool.
    /// </summary>
    internal static bool TryStartAudit(AuditOptions options, ILoggerFactory loggerFactory, out AuditLog? audit, out string error)
    {
        audit = null;
        error = "";
        if (options.Target.Kind == AuditSinkKind.Off)
        {
            return true;
        }

        try
        {
            var node = options.Node ?? Environment.MachineName;

            // The record id's instance tag: random per process start, so restarts and nodes never collide.
            var instance = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
            audit = AuditLog.Start(options, node, instance, loggerFactory.CreateLogger("FastRelay.Audit"), TimeProvider.System);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"--audit-spool {options.SpoolDirectory}: cannot use the spool directory: {PathProblem.Describe(options.SpoolDirectory, ex)}";
            return false;
        }
    }

    // The audit log's counters as fastrelay_audit_records_total{outcome}: read at each scrape.
    internal static IEnumerable<Measurement<long>> AuditMeasurements(AuditStats stats) =>
    [
        new(stats.Written, new KeyValuePair<string, object?>("outcome", "written")),
        new(stats.Spooled, new KeyValuePair<string, object?>("outcome", "spooled")),
        new(stats.Replayed, new KeyValuePair<string, object?>("outcome", "replayed")),
        new(stats.Dropped, new KeyValuePair<string, object?>("outcome", "dropped")),
        new(stats.Overflowed, new KeyValuePair<string, object?>("outcome", "overflowed")),
        new(stats.WriteErrors, new KeyValuePair<string, object?>("outcome", "write_errors")),
        new(stats.SpoolCorrupt, new KeyValuePair<string, object?>("outcome", "spool_corrupt")),
    ];
}
