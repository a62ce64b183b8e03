using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using FastRelay.Audit;
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
            error = $"--audit-spool {options.SpoolDirectory}: cannot use the spool directory: {WhyUnusable(options.SpoolDirectory, ex)}";
            return false;
        }
    }

    // .NET says "Could not find a part of the path" both for a missing parent it could not create and for a parent
    // that is a file (ENOTDIR): name the part of the path that is in the way instead.
    private static string WhyUnusable(string directory, Exception ex)
    {
        if (ex is UnauthorizedAccessException)
        {
            return $"permission denied ({ex.Message})";
        }

        for (var path = Path.GetFullPath(directory); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path))
            {
                return $"'{path}' is a file, expected a directory";
            }

            if (Directory.Exists(path))
            {
                break;
            }
        }

        return ex.Message;
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
