using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FastRelay.Audit;

/// <summary>
/// Opens a file so that every write lands at its end, whoever else writes to it (<c>O_APPEND</c>): during a
/// <c>--handoff</c> restart the old and the new edge append to the same JSON-lines audit file at once.
/// </summary>
/// <remarks>
/// .NET's <see cref="FileMode.Append"/> on Unix seeks to the end once and then writes at its own offset (pwrite), so
/// two writers overwrote each other's records (an audit found 458 of 25,503 lost, and lines glued together). With
/// <c>O_APPEND</c> Linux puts each write, pwrite included, at the end of the file as it is then.
/// </remarks>
internal static partial class AppendOnlyFile
{
    private const int WriteOnly = 0x1; // O_WRONLY
    private const int Create = 0x40; // O_CREAT
    private const int Append = 0x400; // O_APPEND
    private const int CloseOnExec = 0x80000; // O_CLOEXEC (Linux x86-64 and arm64)
    private const int CreateMode = 0x1B6; // 0666, narrowed by the umask as .NET's own create is

    /// <summary><paramref name="path"/> for appending, created if missing; elsewhere than Linux, .NET's append mode.</summary>
    public static FileStream Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }

        var fd = OpenNative(path, WriteOnly | Create | Append | CloseOnExec, CreateMode);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // The managed open says what is wrong in .NET's words (not found, denied, a directory): the same exceptions as before.
            using var probe = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            throw new IOException($"{path}: cannot open for appending (errno {errno})");
        }

        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, int mode);
}
