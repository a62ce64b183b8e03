using System.Runtime.InteropServices;

namespace FastRelay.Hosting;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE): raised from the soft to the hard limit at startup (as
/// Go's runtime and nginx's worker_rlimit_nofile do), and used to cap connections so the relay refuses
/// clients cleanly instead of running out of descriptors.
/// </summary>
/// <remarks>
/// Running out is not just failed accepts: the .NET runtime needs descriptors itself (its W^X code
/// double-mapping uses memfd), and at zero it dies with "Out of memory" (reproduced here with
/// <c>prlimit --nofile=160</c> and 150 clients). Linux only; elsewhere nothing is changed.
/// </remarks>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7; // <sys/resource.h> on Linux.

    /// <summary>Descriptors each relayed connection holds: the client socket and the upstream socket.</summary>
    public const int PerConnection = 2;

    /// <summary>
    /// Headroom above what is open at startup: 64 for listeners, DNS, logging and the runtime's own growth, plus the
    /// epoll path's splice pipes (two descriptors each), so that splicing never takes a descriptor a connection needs.
    /// </summary>
    public const int Headroom = 64 + (2 * FastRelay.Transport.Epoll.SplicePipes.DefaultMax);

    /// <summary>Raises the soft limit to the hard limit; returns the soft limit now in force, or null where unknown.</summary>
    public static ulong? Raise()
    {
        if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        if (limit.Current < limit.Max)
        {
            var raised = limit with { Current = limit.Max };
            if (SetRLimit(RlimitNofile, in raised) == 0)
            {
                return raised.Current;
            }
        }

        return limit.Current;
    }

    /// <summary>Descriptors open right now (from /proc/self/fd), or 0 where unknown.</summary>
    public static int OpenNow()
    {
        try
        {
            return Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return 0; // No /proc (not Linux, or a locked-down sandbox): the cap is then only the limit.
        }
    }

    /// <summary>The most connections the limit allows, keeping <see cref="Headroom"/> spare.</summary>
    public static int MaxConnections(ulong limit, int openNow) =>
        (int)Math.Clamp(((long)Math.Min(limit, int.MaxValue) - openNow - Headroom) / PerConnection, 1, int.MaxValue);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Max);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);
}
