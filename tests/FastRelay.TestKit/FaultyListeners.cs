using System.Net;
using System.Net.Sockets;

namespace FastRelay.TestKit;

/// <summary>Upstreams that misbehave in the ways real ones do, all on loopback.</summary>
public static class FaultyListeners
{
    /// <summary>An address where nothing listens, nor will for this run: connecting is refused at once.</summary>
    public static IPEndPoint RefusingEndPoint() => LoopbackPorts.Reserve(); // Bound, never listening: the port refuses.

    /// <summary>
    /// A listener that never accepts and whose backlog is already full, so a new connect gets no answer
    /// (Linux drops the SYN) until the dialer's timeout: an upstream that is slow to accept.
    /// </summary>
    public static SlowAcceptListener SlowToAccept() => new();
}

/// <summary>See <see cref="FaultyListeners.SlowToAccept"/>.</summary>
public sealed class SlowAcceptListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    internal SlowAcceptListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;

        // Fill the accept queue (backlog 0 holds one, Linux admits backlog+1); later SYNs go unanswered.
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(EndPoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // Expected for the ones that do not fit: they stay in SYN-SENT, which is the point.
            }

            _fillers.Add(filler);
        }
    }

    /// <summary>The listener's address.</summary>
    public IPEndPoint EndPoint { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        _fillers.ForEach(s => s.Dispose());
        _listener.Dispose();
    }
}
