using System.Runtime.InteropServices;

namespace FastRelay.Bench.Failover;

/// <summary>
/// kill(2) by PID, at once: Process.Kill has no SIGSTOP, and spawning <c>kill</c> would add a fork and exec (milliseconds)
/// between the timestamp and the signal, which is the thing measured.
/// </summary>
internal static class Signals
{
    // Linux numbers (x86-64 and arm64 agree on these three).
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false (with errno) when it could not be sent.</summary>
    public static bool Send(int pid, KillSignal signal) => Kill(pid, signal == KillSignal.Kill ? SigKill : SigStop) == 0;

    /// <summary>SIGCONT: lets a stopped process run again (so that it can be killed and reaped at the end).</summary>
    public static bool Continue(int pid) => Kill(pid, SigCont) == 0;

    // DllImport, not LibraryImport: two ints need no marshalling, and the generator would need unsafe code enabled.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
