using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastRelay.Handoff;

/// <summary>
/// Who is on the other end of a Unix socket (SO_PEERCRED, unix(7)). Whoever completes a handoff takes the
/// edge's listening sockets and makes it drain, so only the edge's own user (or root) may ask.
/// </summary>
internal static partial class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The user id of this process (effective).</summary>
    public static uint CurrentUserId => GetEffectiveUserId();

    /// <summary>The peer's user id; null if the kernel did not say.</summary>
    public static uint? PeerUserId(Socket connection)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return connection.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12 ? BitConverter.ToUInt32(credentials[4..8]) : null;
        }
        catch (SocketException)
        {
            return null; // Not a Unix socket, or closed meanwhile: treated as unknown, refused.
        }
    }

    /// <summary>True when the peer runs as this process's user or as root.</summary>
    public static bool IsTrusted(Socket connection) => PeerUserId(connection) is { } uid && (uid == 0 || uid == CurrentUserId);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
