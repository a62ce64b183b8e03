using System.Net;
using System.Net.Sockets;

namespace FastRelay.TestKit;

/// <summary>A listener whose accepted sockets the test drives by hand (half-close, resets, slow reads).</summary>
public sealed class ManualBackend : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>Listens on 127.0.0.1 with an OS-chosen port.</summary>
    public ManualBackend()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
    }

    /// <summary>The address as a route target, <c>127.0.0.1:port</c>.</summary>
    public string Target => ((IPEndPoint)_listener.LocalEndPoint!).ToString();

    /// <summary>Accepts the next connection (bounded by <see cref="TestTimeouts.Default"/>).</summary>
    public async Task<Socket> AcceptAsync() => await _listener.AcceptAsync().WithTimeout();

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
