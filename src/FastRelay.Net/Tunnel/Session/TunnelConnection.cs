using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using FastRelay.Transport;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Streams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// One authenticated tunnel connection (PROTOCOL.md §4.3-§4.9): records over the socket, streams multiplexed
/// on top, PING liveness, GOAWAY draining and in-band rekeys. One read loop and one write loop per connection
/// (rust-yamux#112: reading never waits on writing), plus a timer loop for pings, rekeys and deadlines.
/// </summary>
/// <remarks>
/// <para>The read loop never awaits a stream's consumer: it appends to the stream's pipe, whose size the
/// stream's credit bounds (§4.6, smux#18). The write loop sends control frames first, then DATA round-robin
/// in chunks of at most 16 KiB, coalescing frames into records and records into one send.</para>
/// <para>Every public member is thread-safe. The connection ends with one close reason, the result of
/// <see cref="Completion"/>; then every stream has been reset or finished.</para>
/// </remarks>
public sealed partial class TunnelConnection : IAsyncDisposable
{
    private const int DataChunkBytes = 16 * 1024;
    private const int BatchBytes = 256 * 1024;

    private readonly Socket _socket;
    private readonly bool _isInitiator;
    private readonly TunnelConnectionOptions _options;
    private readonly TunnelSettings _peerSettings;
    private readonly TimeSpan _rekeyInterval; // The edge's, shortened to rekey within the gateway's announced max epoch age.
    private readonly TimeSpan _maxEpochAge; // The gateway's, lengthened to let the edge's announced rekey interval run.
    private readonly ITunnelStreamAcceptor? _acceptor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _peer;
    private readonly object _gate = new();
    private readonly Dictionary<uint, TunnelStream> _streams = [];
    private readonly StreamIdAllocator _ids = new();
    private readonly IncomingStreamIds _incoming = new();
    private readonly ReceiveBudget _budget;
    private readonly FloodGuard _flood;
    private readonly ConcurrentQueue<ControlFrame> _control = new();

    // The write loop's own: a control frame taken from _control that did not fit the last batch.
    private ControlFrame _heldControl;
    private bool _hasHeldControl;
    private readonly ConcurrentQueue<TunnelStream> _ready = new();
    private readonly ConcurrentQueue<(TunnelStream Stream, Exception? Error)> _inboundToComplete = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BlockMemoryPool _pool = new(16 * 1024, 256);
    private readonly PipeOptions _inboundPipe;
    private readonly PipeOptions _outboundPipe;
    private readonly RekeyState _rekey;
    private readonly Func<string?>? _recheck;
    private int _answersQueued;
    private long _lastReceivedTimestamp;
    private long _lastActivityTicks;
    private long _lastRttTicks;
    private long _streamsOpened;
    private bool _goAwaySent;
    private uint _goAwayLastId;
    private bool _goAwayReceived;
    private bool _closeRequested;
    private long _drainDeadline;

    /// <summary>How a close reason starts when the peer sent GOAWAY AUTH_FAILED (the pool tells a refused key by it).</summary>
    internal const string AuthFailedReason = "GOAWAY AuthFailed received";
    private string? _closeReason;
    private Task _run = Task.CompletedTask;

    private TunnelConnection(Socket socket, TunnelHandshakeResult handshake, bool isInitiator, TunnelConnectionOptions options,
        ITunnelStreamAcceptor? acceptor, ILogger logger, TimeProvider time, Func<string?>? recheck)
    {
        _recheck = recheck;
        _socket = socket;
        _isInitiator = isInitiator;
        _options = options;
        _peerSettings = handshake.PeerSettings;
        (_rekeyInterval, _maxEpochAge) = EpochLimits(options, _peerSettings);
        _acceptor = acceptor;
        _logger = logger;
        _time = time;
        _peer = $"{SafeRemoteEndPoint(socket)} ({handshake.PeerName ?? handshake.PeerFingerprint})";
        PeerKey = handshake.PeerFingerprint;
        _budget = new ReceiveBudget(options.ReceiveBudgetBytes);
        _flood = new FloodGuard(FloodLimits.For(TimeSpan.FromMilliseconds(Math.Max(100, _peerSettings.PingIntervalMs)), options.MaxStreams), time.TimestampFrequency);
        _rekey = new RekeyState(handshake, time.GetTimestamp());
        _lastReceivedTimestamp = time.GetTimestamp();
        _lastActivityTicks = time.GetUtcNow().UtcTicks;

        // Inbound: never pauses the read loop (the stream's credit bounds it, §4.6); the consumer runs inline so a
        // chunk goes from the tunnel to the client socket without a thread-pool hop (as TransportOptions does).
        _inboundPipe = new PipeOptions(_pool, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0, minimumSegmentSize: _pool.BlockBytes, useSynchronizationContext: false);

        // Outbound: the relay's flush pauses at 64 KiB, so a stream without credit stops reading its socket.
        _outboundPipe = new PipeOptions(_pool, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, minimumSegmentSize: _pool.BlockBytes, useSynchronizationContext: false);
    }

    /// <summary>Streams open now.</summary>
    public int OpenStreams
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Streams opened over the connection's life (for --keepalive-requests recycling).</summary>
    public long StreamsOpened => Interlocked.Read(ref _streamsOpened);

    /// <summary>False after GOAWAY either way, once closing or dead, or when stream ids ran out.</summary>
    public bool CanOpenStreams
    {
        get
        {
            lock (_gate)
            {
                return CanOpenLocked();
            }
        }
    }

    /// <summary>When a stream last opened or closed (for idle reaping).</summary>
    public DateTime LastActivityUtc => new(Interlocked.Read(ref _lastActivityTicks), DateTimeKind.Utc);

    /// <summary>The round-trip time of the last answered PING.</summary>
    public TimeSpan? LastPingRtt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastRttTicks);
            return ticks == 0 ? null : TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency);
        }
    }

    /// <summary>The current key epoch (0 after the handshake, +1 per rekey).</summary>
    public uint Epoch => _rekey.Epoch;

    /// <summary>True for the edge (the side that opens streams and drives rekeys).</summary>
    public bool IsInitiator => _isInitiator;

    /// <summary>Completes, never faulted, when the connection is closed; the result is the close reason.</summary>
    public Task<string> Completion => _completion.Task;

    /// <summary>The peer, as logged: endpoint and name or key fingerprint.</summary>
    public string Peer => _peer;

    /// <summary>The peer's static key (base64): the same for every connection of one edge's pool.</summary>
    public string PeerKey { get; }

    /// <summary>
    /// Starts the loops on an authenticated socket. The connection owns <paramref name="socket"/> and the keys in
    /// <paramref name="handshake"/> from here on. <paramref name="acceptor"/> handles OPENs on the gateway (null on the edge).
    /// <paramref name="recheck"/>, when given, runs after each completed rekey on this side (tunnel.md §4.8: in CA mode the
    /// peer's chain, revocation and binding expiry are checked again, usually <c>() => authentication.Recheck(handshake)</c>);
    /// it returns null while the peer is still accepted, else the reason, and the connection then closes with
    /// GOAWAY(AUTH_FAILED). It runs on the read loop, so it must be quick (no network).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid (the message lists every problem).</exception>
    public static TunnelConnection Start(Socket socket, TunnelHandshakeResult handshake, bool isInitiator,
        TunnelConnectionOptions options, ITunnelStreamAcceptor? acceptor, ILogger logger, TimeProvider time, Func<string?>? recheck = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(handshake);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException("tunnel connection options: " + string.Join("; ", errors), nameof(options));
        }

        var connection = new TunnelConnection(socket, handshake, isInitiator, options, acceptor, logger, time, recheck);
        connection.ConfigureSocket();
        Log.Started(logger, connection._peer, isInitiator ? "edge" : "gateway");
        connection._run = connection.RunAsync();
        return connection;
    }

    /// <summary>
    /// Stops new streams (GOAWAY with the last stream id processed, §4.9); the connection closes once the
    /// remaining streams finish, or resets them after the drain timeout. Idempotent.
    /// </summary>
    public void GoAway(TunnelErrorCode code, string? debug)
    {
        bool idle;
        lock (_gate)
        {
            if (_goAwaySent || _closeRequested)
            {
                return;
            }

            _goAwaySent = true;
            _goAwayLastId = _isInitiator ? 0 : _incoming.Highest;
            _drainDeadline = _time.GetTimestamp() + (long)(_options.DrainTimeout.TotalSeconds * _time.TimestampFrequency);
            idle = _streams.Count == 0;
            EnqueueControl(new ControlFrame(FrameType.GoAway, 0, 0, (uint)code) { LastStreamId = _goAwayLastId, Debug = debug });
        }

        if (idle)
        {
            CloseGracefully("GOAWAY sent, no streams left");
        }
    }

    /// <summary>Closes now: GOAWAY(NO_ERROR), every stream reset with SHUTTING_DOWN, and waits for the loops to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Terminate("disposed", TunnelErrorCode.NoError, TunnelErrorCode.ShuttingDown, sendGoAway: true);
        await _run;
    }

    private bool CanOpenLocked() =>
        !_goAwaySent && !_goAwayReceived && !_closeRequested && _ids.HasMore && _isInitiator;

    private void ConfigureSocket()
    {
        _socket.NoDelay = true;
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // §4.6: the kernel holds few unsent bytes, so a PING or WINDOW_UPDATE never waits behind megabytes of DATA.
        SetTcpOption("TCP_NOTSENT_LOWAT", 25, _options.NotSentLowWaterBytes);

        // §4.7: the kernel gives up on unacknowledged data after about the detection time, like the ping detector.
        SetTcpOption("TCP_USER_TIMEOUT", 18, (int)DeadAfter().TotalMilliseconds);
    }

    private void SetTcpOption(string name, int option, int value)
    {
        try
        {
            _socket.SetRawSocketOption(6 /* IPPROTO_TCP */, option, BitConverter.GetBytes(value));
        }
        catch (SocketException ex)
        {
            // Older kernels lack the option: the tunnel still works, control frames may just wait longer.
            Log.SocketOptionFailed(_logger, _peer, name, ex.Message);
        }
    }

    private TimeSpan DeadAfter() =>
        _options.PingMissLimit * TimeSpan.FromMilliseconds(Math.Max(_options.PingInterval.TotalMilliseconds, _peerSettings.PingIntervalMs));

    private static string SafeRemoteEndPoint(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "?";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return "?"; // Already gone: the log line still names the key.
        }
    }
}
