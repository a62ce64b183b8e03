using System.Runtime.InteropServices;

namespace FastRelay.Hosting;

/// <summary>
/// Takes SIGINT back when the process was started with it ignored, so that SIGINT drains and exits as the
/// README says however the process was started (nginx and HAProxy install their handlers unconditionally too).
/// </summary>
/// <remarks>
/// <para>Why: POSIX shells start a non-interactive script's background jobs (<c>fastrelay edge ... &amp;</c>) with
/// SIGINT ignored, children inherit that, and .NET keeps an inherited ignore for good (System.Native's
/// <c>InstallSignalHandler</c>: "We respect ignored signals"), so <c>kill -INT</c> did nothing and a script
/// that stopped its relay that way waited forever.</para>
/// <para>This must run before anything initialises the runtime's signal handling (the first Console, Process or
/// PosixSignalRegistration use): after that the ignore is recorded and a handler installed here would kill the
/// process at once instead of draining. SIGHUP is left alone on purpose: an operator who starts the relay under
/// <c>nohup</c> asks for it to be ignored. Linux only; elsewhere nothing is changed.</para>
/// </remarks>
internal static partial class InterruptSignal
{
    private const int SigInt = 2;
    private const nint SigDfl = 0;
    private const nint SigIgn = 1;

    // glibc's struct sigaction is 152 bytes on x86-64 and arm64; its first field is the handler on every Linux ABI.
    private const int SigactionBufferSize = 256;

    /// <summary>If SIGINT is ignored, sets it back to its default; returns true when it did.</summary>
    public static bool RestoreIfIgnored()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> current = stackalloc byte[SigactionBufferSize];
        current.Clear();
        if (Sigaction(SigInt, 0, ref MemoryMarshal.GetReference(current)) != 0 || MemoryMarshal.Read<nint>(current) != SigIgn)
        {
            return false;
        }

        // SIG_DFL, not a handler of ours: the runtime installs its own over it once signal handling starts.
        return Signal(SigInt, SigDfl) == SigIgn;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int Sigaction(int signal, nint action, ref byte previous);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint Signal(int signal, nint handler);
}
