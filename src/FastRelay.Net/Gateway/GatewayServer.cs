using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Filtering;
using FastRelay.Listening;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Relaying;
using FastRelay.Transport;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;
using FastRelay.Tunnel.Session;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;

namespace FastRelay.Gateway;

/// <summary>
/// The running gateway (exit node): accepts tunnels, bounds the handshakes in flight and their rate per source
/// address, authenticates each edge with the Noise XX handshake, and serves its streams
/// (<see cref="GatewayStreamAcceptor"/>). <see cref="StopAsync"/> drains: GOAWAY to every edge, streams finish.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed partial class GatewayServer : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly KeyPair _localStatic;
    private readonly TunnelAuthentication _edges;
    private readonly EdgeListener _listener;
    private readonly GatewayContext _context;
    private readonly ConnectionRateGate _handshakeRate;

    // --max-handshakes-per-source: half-open handshakes counted per address (null: no bound). The rate alone lets one
    // address start 40 at once and 20 a second, each held up to the 5 s handshake timeout: more than every slot.
    private readonly SourceConnectionTable? _handshakesPerSource;
    private readonly TunnelConnectionOptions _connectionOptions;
    private readonly ConcurrentDictionary<TunnelConnection, IPEndPoint> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _rateEviction;
    private readonly OncePerInterval _refusalLog;
    private readonly ILoggerFactory _loggerFactory;
    private Task _acceptLoop = Task.CompletedTask;
    private int _stopped;

    private GatewayServer(GatewayOptions options, KeyPair localStatic, TunnelAuthentication edges, EdgeListener listener, GatewayContext context, ILoggerFactory loggerFactory)
    {
        _options = options;
        _localStatic = localStatic;
        _edges = edges;
        _listener = listener;
        _context = context;
        _loggerFactory = loggerFactory;
        _handshakeRate = new ConnectionRateGate(new ConnectionRateOptions(options.HandshakeRate), context.Time); // Keyed by source address.
        _handshakesPerSource = options.MaxHandshakesPerSource > 0 ? new SourceConnectionTable(options.MaxHandshakesPerSource) : null;
        _rateEviction = context.Time.CreateTimer(static s => ((ConnectionRateGate)s!).EvictIdle(), _handshakeRate, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        _refusalLog = new OncePerInterval(context.Time, TimeSpan.FromSeconds(1));
        _connectionOptions = Tunnel.Pool.EdgeTunnel.ConnectionOptions(options.Session, options.DrainTimeout);
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint => _listener.EndPoint;

    /// <summary>The counters.</summary>
    public GatewayStats Stats => _context.Stats;

    /// <summary>The Outbound checkpoint (reload swaps its policy).</summary>
    public PolicyGate Policy => _context.Policy;

    /// <summary>
    /// <c>--recheck-established</c>: checks every stream being relayed against the Outbound rules installed now, with
    /// the client and the address it was dialled on, and closes the ones they deny (FilterDenied; the edge sees the
    /// stream reset). One denial event each. Returns how many were closed. Thread-safe.
    /// </summary>
    public int RecheckEstablished()
    {
        var closed = 0;
        foreach (var (id, stream) in _context.Relaying)
        {
            if (stream.Destination is { } destination
                && _context.Policy.CheckOutbound(stream.Client.Address, destination, GatewayContext.Service, id) is { IsAllowed: false } denied
                && stream.TryDeny(denied))
            {
                closed++;
            }
        }

        return closed;
    }

    /// <summary>True once <see cref="StopAsync"/> has begun.</summary>
    public bool IsStopping => Volatile.Read(ref _stopped) != 0;

    /// <summary>
    /// After the edges' authentication changed (a reload of <c>--edge-key</c>): re-checks every tunnel connection's edge
    /// and closes those no longer accepted (GOAWAY AUTH_FAILED, their streams reset). Returns how many. Thread-safe.
    /// </summary>
    public int RecheckEdges() => _connections.Keys.Count(connection => connection.RecheckPeerNow());

    /// <summary>Distinct edges (static keys) with a tunnel connection now; each may hold several (its pool).</summary>
    public int EdgeCount => _connections.Keys.Select(c => c.PeerKey).Distinct(StringComparer.Ordinal).Count();

    /// <summary>The tunnel connections from edges now, for /status.</summary>
    public IReadOnlyList<(IPEndPoint Edge, string Peer, int Streams, uint Epoch)> Edges =>
        [.. _connections.Select(c => (c.Value, c.Key.Peer, c.Key.OpenStreams, c.Key.Epoch))];

    /// <summary>Binds and starts accepting tunnels; <paramref name="observer"/> is told of every handshake and stream decision (audit, metrics).</summary>
    /// <exception cref="ListenerBindException">The address cannot be bound.</exception>
    public static GatewayServer Start(GatewayOptions options, KeyPair localStatic, TunnelAuthentication edges, SecurityPolicy? policy,
        ILoggerFactory loggerFactory, TimeProvider time, IConnectionObserver? observer = null, IUpstreamDialer? dialer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = loggerFactory.CreateLogger("FastRelay.Gateway");
        var listening = new ListenerOptions(GatewayContext.Service, options.Listen);
        EdgeListener.EnsureNotInUse(listening);
        var listener = EdgeListener.Bind(listening, 1024, logger, time);
        var memory = new BlockMemoryPool(EdgeOptions.DefaultBufferBytes, maxRetainedBlocks: 1024);
        var context = new GatewayContext(new PolicyGate(policy, time), dialer ?? new TcpUpstreamDialer(), options.ConnectTimeout, time, logger,
            observer ?? ConnectionObservers.None, TransportOptions.Create(memory), new GatewayStats(), listener.EndPoint)
        {
            TracksRelaying = options.RecheckEstablished,
            MaxStreams = options.MaxStreams == 0 ? int.MaxValue : options.MaxStreams,
            DescriptorBudget = options.DescriptorBudget,
        };
        var server = new GatewayServer(options, localStatic, edges, listener, context, loggerFactory);
        server._acceptLoop = Task.Run(() => listener.RunAsync(server.OnAccepted));
        return server;
    }

    /// <summary>
    /// Stops accepting, sends GOAWAY to every edge (their pools move new sessions elsewhere), lets open streams
    /// finish for up to <paramref name="drainTimeout"/>, then closes what is left. Idempotent.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Step 1: no new tunnels; handshakes in flight are cut short.
        _listener.Stop();
        await _acceptLoop;
        _stopping.Cancel();

        // Step 2: GOAWAY(SHUTTING_DOWN... NO_ERROR) to every edge: streams already open go on, new ones go elsewhere.
        Log.Draining(_context.Logger, _connections.Count, _context.Stats.ActiveStreams, drainTimeout.TotalSeconds);
        foreach (var connection in _connections.Keys)
        {
            connection.GoAway(TunnelErrorCode.NoError, "gateway shutting down");
        }

        // Step 3: wait for them to close on their own (each resets what is left at its drain deadline), then close the rest.
        var all = Task.WhenAll(_connections.Keys.Select(c => (Task)c.Completion));
        try
        {
            await all.WaitAsync(drainTimeout + TimeSpan.FromSeconds(1), _context.Time);
        }
        catch (TimeoutException)
        {
            Log.DrainDeadlinePassed(_context.Logger, _connections.Count);
        }

        foreach (var connection in _connections.Keys)
        {
            await connection.DisposeAsync();
        }

        await _rateEviction.DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _stopping.Dispose();
    }

    private void OnAccepted(Socket socket, EdgeListener listener) => _ = HandleAsync(socket); // Outcomes are handled inside.

    private async Task HandleAsync(Socket socket)
    {
        var edge = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);

        // Step 1: the per-source rate, before any work: XX lets anyone make the exit do two X25519 operations (tunnel.md §4.1).
        if (_handshakeRate.Decide(edge.Address, GatewayContext.Service) is var rate && rate != RateDecision.Allowed)
        {
            _context.Stats.RateLimited();
            Refuse(socket, edge, CloseReason.RateLimited, RateLimitDetail.For(rate));
            return;
        }

        // Step 2: the bounds on half-open handshakes, this address's first: a flood from one address refused there never
        // holds a global slot, not even for a moment, so other addresses are not refused on its account.
        if (_handshakesPerSource is { } perSource && !perSource.TryAdd(edge.Address))
        {
            _context.Stats.HandshakeOverPerSource();
            Refuse(socket, edge, CloseReason.SourceConnectionLimit, $"{perSource.LimitPerSource} handshakes in flight from this address (--max-handshakes-per-source)");
            return;
        }

        // The descriptor budget (fitted to the open-file limit at start): a tunnel takes one for as long as it lives.
        if (_context.Stats.DescriptorsInUse >= _context.DescriptorBudget)
        {
            _handshakesPerSource?.Remove(edge.Address);
            _context.Stats.TunnelLimited();
            Refuse(socket, edge, CloseReason.ConnectionLimit, $"{_context.DescriptorBudget} descriptors in use by tunnels and streams (the open-file limit)");
            return;
        }

        if (!_context.Stats.TryStartHandshake(_options.MaxHandshakes))
        {
            _handshakesPerSource?.Remove(edge.Address);
            Refuse(socket, edge, CloseReason.ConnectionLimit, $"{_options.MaxHandshakes} handshakes in flight (--max-handshakes)");
            return;
        }

        // Step 3: the Noise XX handshake (tunnel.md §4.1-4.2), bounded by its 5 s timeout.
        var started = _context.Time.GetTimestamp();
        TunnelHandshakeResult handshake;
        try
        {
            handshake = await TunnelHandshake.RespondAsync(socket, _localStatic, _edges, _connectionOptions.ToSettings(), _options.NodeName ?? Environment.MachineName,
                TunnelHandshake.DefaultTimeout, _stopping.Token);
        }
#pragma warning disable CA1031 // Whatever a hostile handshake makes fail, the slot is given back and the connection closed; an unexpected type says so.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            var reason = ex switch
            {
                TunnelHandshakeException th => th.Message + (th.PeerFingerprint is { } key ? $" (edge key {key})" : ""),
                OperationCanceledException or SocketException or IOException or ObjectDisposedException => ex.Message,
                _ => $"unexpected {ex.GetType().Name}: {ex.Message}",
            };
            socket.Dispose();
            try
            {
                _context.Observer.OnEvent(new ConnectionEvent(_context.NextStreamId(), _context.Time.GetUtcNow(), Checkpoint.Handshake, Allowed: false, edge, _context.ListenEndPoint,
                    GatewayContext.Service, Reason: CloseReason.TunnelAuthFailed, Detail: Truncate(reason)));
            }
            finally
            {
                // After the record (whoever sees the count finds it too), and always: it frees the half-open slot.
                _handshakesPerSource?.Remove(edge.Address);
                _context.Stats.HandshakeEnded(succeeded: false);
            }

            if (_refusalLog.TryEnter())
            {
                Log.HandshakeFailed(_context.Logger, edge, reason);
            }
            else
            {
                Log.HandshakeFailedAgain(_context.Logger, edge, reason);
            }

            return;
        }

        var recorded = false;
        try
        {
            _context.Observer.OnEvent(new ConnectionEvent(_context.NextStreamId(), _context.Time.GetUtcNow(), Checkpoint.Handshake, Allowed: true, edge, _context.ListenEndPoint,
                GatewayContext.Service, Detail: $"edge {handshake.PeerName ?? "?"} key {handshake.PeerFingerprint}", Elapsed: _context.Time.GetElapsedTime(started)));
            recorded = true;
        }
        finally
        {
            // Counted as a connection before its handshake slot is given back: the descriptor it holds is never
            // uncounted, however long the start below takes. A recording that threw ends it here instead.
            if (recorded)
            {
                _context.Stats.ConnectionOpened();
            }
            else
            {
                socket.Dispose();
            }

            _handshakesPerSource?.Remove(edge.Address);
            _context.Stats.HandshakeEnded(succeeded: true);
        }

        // Step 4: the session: its streams are served by the acceptor until the edge (or the drain) closes it.
        await RunConnectionAsync(socket, edge, handshake);
    }

    // Counted in Stats.Connections by the caller; uncounted here once, however it ends.
    private async Task RunConnectionAsync(Socket socket, IPEndPoint edge, TunnelHandshakeResult handshake)
    {
        TunnelConnection connection;
        try
        {
            connection = TunnelConnection.Start(socket, handshake, isInitiator: false, _connectionOptions, new GatewayStreamAcceptor(_context, edge),
                _loggerFactory.CreateLogger("FastRelay.Tunnel"), _context.Time, recheck: () => _edges.Recheck(handshake));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose(); // The edge went away between the handshake and the start.
            _context.Stats.ConnectionClosed();
            return;
        }
        catch
        {
            socket.Dispose();
            _context.Stats.ConnectionClosed();
            throw;
        }

        _connections[connection] = edge;

        // A reload of --edge-key between this tunnel's handshake and now re-checked the others without it: once more here,
        // against the list in force (a key removed meanwhile closes it now, as the reload would have).
        _ = connection.RecheckPeerNow();
        Log.EdgeConnected(_context.Logger, edge, handshake.PeerName ?? "no node name", handshake.PeerFingerprint, _connections.Count); // Not "(, key …)".
        if (IsStopping)
        {
            connection.GoAway(TunnelErrorCode.NoError, "gateway shutting down"); // Raced with StopAsync: drain it too.
        }

        var reason = await connection.Completion;
        _connections.TryRemove(connection, out _);
        _context.Stats.ConnectionClosed();
        Log.EdgeDisconnected(_context.Logger, edge, reason, connection.StreamsOpened, _connections.Count);
        await connection.DisposeAsync();
    }

    private void Refuse(Socket socket, IPEndPoint edge, CloseReason reason, string detail)
    {
        socket.Dispose();
        _context.Observer.OnEvent(new ConnectionEvent(_context.NextStreamId(), _context.Time.GetUtcNow(), reason == CloseReason.RateLimited ? Checkpoint.RateLimit : Checkpoint.Accept,
            Allowed: false, edge, _context.ListenEndPoint, GatewayContext.Service, Reason: reason, Detail: detail));
        if (_refusalLog.TryEnter())
        {
            Log.Refused(_context.Logger, edge, detail);
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];
}
