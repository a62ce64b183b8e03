using System.Net.Sockets;
using System.Text;

namespace FastRelay.Hosting;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram to the Unix socket named by <c>$NOTIFY_SOCKET</c> (a path,
/// or an abstract name when it starts with '@'). Used for <c>Type=notify</c> units: READY=1 once every
/// listener is bound, STOPPING=1 when the drain starts, MAINPID after a handoff (tools/fastrelay.service).
/// </summary>
/// <remarks>Without <c>$NOTIFY_SOCKET</c> (not under systemd) every call does nothing. Never throws: a failed notification is returned as a message to log.</remarks>
internal sealed class SystemdNotifier
{
    private readonly string? _socketPath;

    public SystemdNotifier(string? notifySocket) => _socketPath = notifySocket is { Length: > 0 } ? notifySocket : null;

    /// <summary>The notifier for this process's environment.</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>True when running under a service manager that listens.</summary>
    public bool IsEnabled => _socketPath is not null;

    /// <summary>Sends <paramref name="state"/> (newline-separated assignments, e.g. "READY=1\nSTATUS=serving"); null when sent or disabled, else why not.</summary>
    public string? Notify(string state)
    {
        if (_socketPath is not { } path)
        {
            return null;
        }

        try
        {
            // '@' stands for the abstract namespace's leading NUL byte (sd_notify(3)).
            var address = path[0] == '@' ? "\0" + path[1..] : path;
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return null;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return $"NOTIFY_SOCKET {path}: {ex.Message}";
        }
    }
}
