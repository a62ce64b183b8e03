using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FastRelay.Configuration;

/// <summary>
/// Opens a file an operator named for reading without waiting for a writer: open(2) of a FIFO that no process
/// has open for writing blocks until one does, so <c>--policy</c> naming such a FIFO hung the edge at start (and a
/// reload for good). Opened with <c>O_NONBLOCK</c> it opens at once and reads as empty (end of file: no writer);
/// the flag is then cleared, so a pipe with a writer (<c>--config &lt;(...)</c>) is read to its end as before.
/// </summary>
internal static partial class FifoSafeOpen
{
    private const int ReadOnly = 0;
    private const int NonBlocking = 0x800; // O_NONBLOCK on Linux (x86-64 and arm64).
    private const int CloseOnExec = 0x80000; // O_CLOEXEC
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL

    /// <summary>
    /// <paramref name="path"/> opened for reading; on other systems, or when open(2) fails (the caller's own open
    /// then reports why, in .NET's words), the usual <see cref="FileStream"/>.
    /// </summary>
    public static FileStream Open(string path)
    {
        if (OperatingSystem.IsLinux() && !Directory.Exists(path))
        {
            var fd = OpenFile(path, ReadOnly | NonBlocking | CloseOnExec);
            if (fd >= 0)
            {
                var handle = new SafeFileHandle(fd, ownsHandle: true);
                var flags = Fcntl(fd, GetFlags, 0);
                if (flags < 0 || Fcntl(fd, SetFlags, flags & ~NonBlocking) < 0)
                {
                    var errno = Marshal.GetLastPInvokeError(); // Before close(2) overwrites it.
                    handle.Dispose();
                    throw new IOException($"cannot clear O_NONBLOCK (errno {errno})");
                }

                try
                {
                    return new FileStream(handle, FileAccess.Read, bufferSize: 0);
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }
            }
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
