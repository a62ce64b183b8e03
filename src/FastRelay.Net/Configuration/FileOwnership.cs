using System.Runtime.InteropServices;

namespace FastRelay.Configuration;

/// <summary>
/// Gives a new file the owner, group and mode of the file it replaces (Linux x86-64), for <see cref="AtomicFile"/>: a
/// mode kept without its owner could lock the reader out (a 0600 CRL owned by the relay's user, rewritten by root).
/// </summary>
internal static partial class FileOwnership
{
    // struct stat on Linux x86-64 (glibc): st_mode at 24, st_uid at 28, st_gid at 32; 144 bytes in all.
    private const int StatSize = 144;
    private const int ModeOffset = 24;
    private const int UidOffset = 28;
    private const int GidOffset = 32;

    /// <summary>
    /// Copies <paramref name="from"/>'s owner, group and permission bits to <paramref name="to"/>. False, with nothing
    /// changed but perhaps the group, when that cannot be done (another platform, or not allowed to give the file away):
    /// the caller then leaves <paramref name="to"/> as it was created.
    /// </summary>
    public static unsafe bool TryCopy(string from, string to)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return false;
        }

        try
        {
            var buffer = stackalloc byte[StatSize];
            if (Stat(from, buffer) != 0)
            {
                return false;
            }

            var mode = *(uint*)(buffer + ModeOffset);
            var uid = *(uint*)(buffer + UidOffset);
            var gid = *(uint*)(buffer + GidOffset);
            if (Chown(to, uid, gid) != 0)
            {
                return false; // Not root and not ours to give away: a mode without its owner is not kept.
            }

            File.SetUnixFileMode(to, (UnixFileMode)(mode & 0xFFF));
            return true;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
