using System.Net;
using System.Net.Sockets;

namespace FastRelay.Bench.Targets;

/// <summary>Finds free loopback ports for a relay we start, by binding port 0 and releasing it.</summary>
/// <remarks>
/// Another process could take the port between release and the relay's bind; the relay then fails to start
/// and the harness says so. Acceptable for a benchmark; the relay has no way to report a port it chose.
/// </remarks>
internal static class FreePort
{
    /// <summary>Returns a loopback endpoint whose port was free a moment ago.</summary>
    public static IPEndPoint Pick()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }
}
