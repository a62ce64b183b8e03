using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// One OPEN waiting for the gateway's answer (see <see cref="ITunnelStreamAcceptor"/>). Exactly one of
/// <see cref="Accept"/> and <see cref="Reject"/> takes effect; later calls are ignored (Accept then returns null).
/// </summary>
public sealed class TunnelStreamRequest
{
    private readonly TunnelConnection _connection;
    private readonly TunnelStream _stream;
    private int _answered;

    internal TunnelStreamRequest(TunnelConnection connection, TunnelStream stream, TunnelTarget target)
    {
        _connection = connection;
        _stream = stream;
        Target = target;
    }

    /// <summary>The stream id (for logs).</summary>
    public uint StreamId => _stream.Id;

    /// <summary>Where the edge wants to go; check it against the Outbound rules before dialling.</summary>
    public TunnelTarget Target { get; }

    /// <summary>True once accepted or rejected.</summary>
    public bool IsAnswered => Volatile.Read(ref _answered) != 0;

    /// <summary>
    /// Sends OPEN_OK and returns the stream to pump against the dialled socket; null when the request was
    /// already answered or the edge reset it meanwhile (close the dialled socket then).
    /// </summary>
    public TunnelStream? Accept()
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
        {
            return null;
        }

        return _connection.AcceptStream(_stream) ? _stream : null;
    }

    /// <summary>Sends RST(<paramref name="code"/>): why the target was not reached (FORBIDDEN_TARGET, CONNECT_REFUSED, …).</summary>
    public void Reject(TunnelErrorCode code)
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            _connection.ResetStream(_stream, code, $"rejected by the gateway: {code}");
        }
    }
}
