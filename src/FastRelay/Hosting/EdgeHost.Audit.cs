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
    private static bool TryStartAudit(AuditOptions options, ILoggerFactory loggerFactory, out AuditLog? audit, out string error)
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
            error = $"--audit-spool {options.SpoolDirectory}: cannot use the spool directory ({ex.Message})";
            return false;
        }
    }
}
