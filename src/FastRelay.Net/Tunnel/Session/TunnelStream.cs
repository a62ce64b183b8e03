using System.IO.Pipelines;
using FastRelay.Relaying;
using FastRelay.Transport;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Streams;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// One multiplexed stream of a <see cref="TunnelConnection"/>, seen by the relay exactly like a socket
/// (<see cref="IPipeConnection"/>): the peer's DATA arrives on <see cref="Input"/> (its FIN completes Input
/// cleanly, an RST with a <see cref="TunnelStreamResetException"/>), and bytes written to <see cref="Output"/>
/// leave as DATA (completing Output sends DATA|FIN; completing it with an error sends RST(CANCEL)).
/// </summary>
/// <remarks>
/// <para>Flow control is invisible to the user: reading <see cref="Input"/> gives credit back (OnRead mode,
/// §4.6), and <see cref="Output"/>'s FlushAsync pauses while the stream has no send credit and its pipe is full.</para>
/// <para><see cref="Abort"/> is thread-safe; the pipes follow the usual one-reader, one-writer rule.</para>
/// </remarks>
public sealed partial class TunnelStream : IPipeConnection
{
    private readonly Pipe _inbound;
    private readonly Pipe _outbound;
    private readonly StreamInput _input;
    private readonly StreamOutput _output;
    private int _readyQueued;
    private int _aborted;
    private Exception? _localReset;

    internal TunnelStream(TunnelConnection connection, uint id, int sendCredit, ReceiveWindow receiveWindow, PipeOptions inbound, PipeOptions outbound)
    {
        Connection = connection;
        Id = id;
        Send = new SendWindow(sendCredit);
        Receive = receiveWindow;
        _inbound = new Pipe(inbound);
        _outbound = new Pipe(outbound);
        _input = new StreamInput(this, _inbound.Reader);
        _output = new StreamOutput(this, _outbound.Writer);
    }

    /// <summary>The stream id (odd: opened by the edge).</summary>
    public uint Id { get; }

    /// <inheritdoc />
    public PipeReader Input => _input;

    /// <inheritdoc />
    public PipeWriter Output => _output;

    /// <summary>The target named in the OPEN (null on the edge before it is known).</summary>
    public TunnelTarget? Target { get; internal set; }

    /// <summary>The code of the RST that ended this stream, or null while it was not reset.</summary>
    public TunnelErrorCode? ResetCode { get; private set; }

    internal TunnelConnection Connection { get; }

    /// <summary>Guards <see cref="Lifecycle"/> and <see cref="Send"/> (the read and write loops both touch them).</summary>
    internal object Sync { get; } = new();

    internal StreamLifecycle Lifecycle { get; } = new();

    internal SendWindow Send { get; }

    internal ReceiveWindow Receive { get; }

    /// <summary>Edge side: completes with NoError at OPEN_OK or with the RST code.</summary>
    internal TaskCompletionSource<TunnelErrorCode>? OpenAnswer { get; set; }

    /// <summary>
    /// Cancelled when the stream is reset (either way) or its connection closes. The gateway's acceptor abandons its
    /// dial on it; after that, and on the edge, it tells a relay parked on its other socket (a peer that stopped
    /// reading, or sends nothing) that this side is gone: no read or write of the stream is pending to tell it.
    /// </summary>
    internal CancellationTokenSource? Ending { get; set; }

    /// <summary>
    /// Cancelled when the stream was reset (by either side) or its tunnel connection ended; never on a clean end
    /// (FIN both ways). <see cref="CancellationToken.None"/> once the gateway's acceptor has returned.
    /// </summary>
    public CancellationToken Ended => Ending?.Token ?? CancellationToken.None;

    /// <summary>
    /// True once our OPEN (edge) or OPEN_OK (gateway) was written. The edge then knows a failure may have dialled
    /// the target (not retryable); the gateway sends no DATA before it, even if the relay writes first.
    /// </summary>
    internal bool OpenSent { get; set; }

    /// <summary>True while the write loop parked this stream until a WINDOW_UPDATE.</summary>
    internal bool WaitingForCredit { get; set; }

    /// <summary>True once the write loop completed the outbound reader (it owns that side).</summary>
    internal bool OutboundDone { get; set; }

    /// <summary>True once the read loop completed the inbound writer (it owns that side).</summary>
    internal bool InboundDone { get; set; }

    /// <summary>The writer of the peer's bytes (read loop only).</summary>
    internal PipeWriter InboundWriter => _inbound.Writer;

    /// <summary>The reader of bytes to send (write loop only).</summary>
    internal PipeReader OutboundReader => _outbound.Reader;

    /// <summary>The error reads of <see cref="Input"/> throw after a local reset, or null.</summary>
    internal Exception? LocalReset => Volatile.Read(ref _localReset);

    /// <inheritdoc />
    /// <remarks>Sends RST(CANCEL); pending and later reads of <see cref="Input"/> throw <see cref="ConnectionAbortedException"/>.</remarks>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        Interlocked.CompareExchange(ref _localReset, new ConnectionAbortedException(), null);
        Connection.ResetStream(this, TunnelErrorCode.Cancel, "aborted locally");
        _outbound.Writer.CancelPendingFlush();
    }

    /// <summary>
    /// Reset from this side (any thread): pending and later reads of <see cref="Input"/> throw <paramref name="error"/>
    /// at once, without waiting for the read loop to complete the pipe.
    /// </summary>
    internal void FailInputLocally(Exception error)
    {
        Interlocked.CompareExchange(ref _localReset, error, null);
        _inbound.Reader.CancelPendingRead();
    }

    /// <summary>True once the consumer completed <see cref="Input"/>: DATA for it is dropped.</summary>
    internal bool InputCompleted { get; set; }

    /// <summary>Marks the stream reset with <paramref name="code"/> (first code wins).</summary>
    internal void MarkReset(TunnelErrorCode code) => ResetCode ??= code;

    /// <summary>Claims the stream's single place in the ready queue; false when it is already queued.</summary>
    internal bool TryMarkQueued() => Interlocked.Exchange(ref _readyQueued, 1) == 0;

    /// <summary>Releases the place (the write loop does this before reading, so a later flush re-queues).</summary>
    internal void ClearQueued() => Volatile.Write(ref _readyQueued, 0);

    /// <summary>The consumer read <paramref name="bytes"/> (called by <see cref="StreamInput"/>).</summary>
    internal void OnConsumed(long bytes) => Connection.OnConsumed(this, bytes);
}
