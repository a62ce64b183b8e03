using System.Runtime.CompilerServices;
using System.Net;
using System.Net.Sockets;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using FastRelay.Discovery;
using FastRelay.Filtering;
using FastRelay.Health;
using FastRelay.Listening;
using FastRelay.Observing;
using FastRelay.RateLimiting;
using FastRelay.Routing;
using FastRelay.Tls;
using FastRelay.Transport;
using FastRelay.Transport.Epoll;
using FastRelay.Upstreams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;

namespace FastRelay.Relaying;

/// <summary>
/// The running edge: its listeners, the table of open connections, the pools, and the idle sweeper.
/// <c>Start</c> binds every listener (or none); <see cref="StopAsync"/> drains.
/// </summary>
/// <remarks>Thread-safe. Shutdown order is in the README's Architecture section.</remarks>
public sealed partial class EdgeServer : IAsyncDisposable
{
    private readonly EdgeContext _context;
    private readonly List<EdgeListener> _listeners;
    private readonly List<Task> _acceptLoops = [];
    private readonly ConnectionTable _table;
    private readonly ObjectPool<RelayedConnection> _pool;
    private readonly BlockMemoryPool _memory;
    private readonly ITimer? _idleSweeper;
    private readonly ITimer? _rateEviction;
    private readonly Action<Socket, EdgeListener> _onAccepted;
    private readonly OncePerInterval _limitWarning;
    private readonly OncePerInterval _sourceLimitWarning;
    private readonly SourceConnectionTable? _perSource;
    private long _nextConnectionId;
    private int _stopping;
    private volatile bool _handedOff;
    private HealthChecker? _healthChecks;

    private EdgeServer(EdgeContext context, List<EdgeListener> listeners, BlockMemoryPool memory)
    {
        _context = context;
        _listeners = listeners;
        _memory = memory;
        _table = new ConnectionTable(context.Options.MaxConnections);
        _perSource = context.Options.MaxConnectionsPerSource > 0 ? new SourceConnectionTable(context.Options.MaxConnectionsPerSource) : null;
        var pipeOptions = TransportOptions.Create(memory);
        _pool = new DefaultObjectPool<RelayedConnection>(
            new RelayedConnectionPolicy(pipeOptions, context.Time),
            maximumRetained: Math.Min(context.Options.MaxConnections, 1024));
        _onAccepted = OnAccepted;
        _limitWarning = new OncePerInterval(context.Time, TimeSpan.FromSeconds(1));
        _sourceLimitWarning = new OncePerInterval(context.Time, TimeSpan.FromSeconds(1));
        if (context.Options.IdleTimeout > TimeSpan.Zero)
        {
            // Checks at a tenth of the timeout (between 10 ms and 1 s): a connection closes between
            // IdleTimeout and IdleTimeout plus one period after its last byte.
            var period = TimeSpan.FromTicks(Math.Clamp(context.Options.IdleTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
            _idleSweeper = context.Time.CreateTimer(static s => ((EdgeServer)s!).SweepIdle(), this, period, period);
        }

        if (context.RateLimit is { } rateLimit)
        {
            // Buckets that refilled are dropped every 10 s so a burst of distinct sources gives its memory back.
            var every = TimeSpan.FromSeconds(10);
            _rateEviction = context.Time.CreateTimer(static s => ((ConnectionRateGate)s!).EvictIdle(), rateLimit, every, every);
        }
    }

    /// <summary>The addresses the listeners are bound to (with the real ports when 0 was configured).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _listeners.Select(l => l.EndPoint).ToList();

    /// <summary>The listening sockets with their addresses (what a zero-downtime restart hands over).</summary>
    internal IReadOnlyList<(IPEndPoint EndPoint, Socket Socket)> ListeningSockets => _listeners.Select(l => (l.EndPoint, l.Socket)).ToList();

    /// <summary>The listeners with their services and bound addresses (for the status output).</summary>
    public IReadOnlyList<(string Service, IPEndPoint EndPoint)> Listeners => _listeners.Select(l => (l.Options.Service, l.EndPoint)).ToList();

    /// <summary>True once <see cref="StopAsync"/> has begun: the edge no longer accepts.</summary>
    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>
    /// Marks the listening sockets as handed to the next process: <see cref="StopAsync"/> then stops
    /// accepting without closing them, so clients queued in their backlogs stay for the new process.
    /// </summary>
    internal void MarkHandedOff() => _handedOff = true;

    /// <summary>Connections open now.</summary>
    public int ActiveConnections => _table.Active;

    /// <summary>Splice pipes of the epoll data path: held by flows, and kept idle by the loops; 0 and 0 without it.</summary>
    public (int InUse, int Idle) SplicePipeCounts => _context.Epoll is { } engine ? (engine.PipesInUse, engine.PipesIdle) : (0, 0);

    /// <summary>Closed connections by reason.</summary>
    public CloseReasonCounters Closed { get; } = new();

    /// <summary>The shared buffer pool (exposed for tests and the status output).</summary>
    public BlockMemoryPool Memory => _memory;

    /// <summary>The security-group checkpoints (swap the policy with a reload; read the per-rule counts).</summary>
    public PolicyGate Policy => _context.Policy;

    /// <summary>
    /// <c>--recheck-established</c>: decides every relaying connection again with the policy installed now and closes
    /// the ones it denies (RelayedConnection.RecheckPolicy). Returns how many were closed. Thread-safe.
    /// </summary>
    public int RecheckEstablished()
    {
        var closed = new StrongBox<int>();
        _table.ForEachLocked(static (c, state) =>
        {
            if (c.RecheckPolicy(state.Context))
            {
                state.Closed.Value++;
            }
        }, (Context: _context, Closed: closed));
        return closed.Value;
    }

    /// <summary>The routes new sessions are picked from; a reload swaps them (<see cref="RouteTable.TryReplace"/>).</summary>
    public RouteTable Routes => _context.Routes;

    /// <summary>True when the edge has a gateway pool (it was started with <c>--gateway</c>): <c>tunnel:</c> targets can be served.</summary>
    public bool HasTunnel => _context.Tunnel is not null;

    /// <summary>The state of every backend picked or checked: outstanding sessions, latency, health, ejections.</summary>
    public BackendRegistry Backends => _context.Picker.Registry;

    /// <summary>The discovery and DNS caches (read by the metrics).</summary>
    internal EdgeDiscovery? Discovery { get; private init; }

    /// <summary>The TLS certificate store (reload it; read its version); null for a plain TCP edge.</summary>
    internal TlsMaterialStore? Tls => _context.Tls;

    /// <summary>Binds every listener and starts accepting.</summary>
    /// <exception cref="ListenerBindException">A listener cannot bind; none is left bound.</exception>
    public static EdgeServer Start(EdgeOptions options, ILoggerFactory loggerFactory, TimeProvider time, IUpstreamDialer? dialer = null) =>
        Start(options, loggerFactory, time, dialer, policy: null);

    /// <summary>
    /// Binds every listener and starts accepting, filtering by <paramref name="policy"/> (null: no filtering)
    /// and telling <paramref name="observer"/> (audit, metrics; null: nobody) of every decision. With
    /// <see cref="EdgeOptions.Tls"/>, every listener speaks TLS with the certificates of <paramref name="tls"/>
    /// (loaded here from the options' files when null).
    /// </summary>
    /// <exception cref="ListenerBindException">A listener cannot bind; none is left bound.</exception>
    /// <exception cref="TlsLoadException">A TLS file cannot be used (only when <paramref name="tls"/> is null).</exception>
    /// <remarks>
    /// Routes with <c>tunnel:</c> targets open streams through <paramref name="tunnel"/> (the caller starts and
    /// disposes it, after <see cref="StopAsync"/>).
    /// A listener whose address is in <paramref name="inherited"/> (sockets taken over from the process this
    /// one replaces) accepts on that socket instead of binding; the caller keeps the ones not used.
    /// </remarks>
    internal static EdgeServer Start(EdgeOptions options, ILoggerFactory loggerFactory, TimeProvider time, IUpstreamDialer? dialer, SecurityPolicy? policy,
        IConnectionObserver? observer = null, TlsMaterialStore? tls = null, IDictionary<IPEndPoint, Socket>? inherited = null, Tunnel.Pool.TunnelPool? tunnel = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger("FastRelay.Edge");
        var routes = new RouteTable(options.Routes);
        var backends = new BackendRegistry(options.Balancing, time, loggerFactory.CreateLogger("FastRelay.Backends"));
        var dryRunLog = new OncePerInterval(time, TimeSpan.FromSeconds(1));
        var gate = new PolicyGate(policy, time, (long connectionId, in FilterRequest request, FilterDecision wouldBe, FilterDecision? enforced) =>
        {
            // A staged roll-out wants to see these, but a flood of them must not flood the log.
            var what = $"{request.Direction} {request.Tuple}";
            var applied = enforced?.ToString() ?? "nothing enforced (the whole policy is a dry run)";
            if (dryRunLog.TryEnter())
            {
                Log.DryRunDecision(logger, connectionId, what, wouldBe, applied);
            }
            else
            {
                Log.DryRunDecisionAgain(logger, connectionId, what, wouldBe, applied);
            }
        });
        var rateLimit = options.ConnectionRate is { } rate ? new ConnectionRateGate(rate, time) : null;
        if (options.Tls is { } tlsOptions)
        {
            tls ??= TlsMaterialStore.Load(tlsOptions, time);
        }
        else
        {
            tls = null;
        }

        var discovery = EdgeDiscovery.Create(options, time, loggerFactory);

        // Idle blocks kept for reuse: enough for a burst of busy connections without holding memory forever.
        var memory = new BlockMemoryPool(options.BufferBytes, maxRetainedBlocks: 1024);
        var epoll = options.DataPath == DataPath.Epoll && tls is null && options.Bandwidth is null && EpollEngine.IsSupported
            ? new EpollEngine(memory, Environment.ProcessorCount, logger, options.Splice == SpliceMode.On ? SplicePipes.DefaultMax : 0) : null;
        epoll?.StartLoops();
        var context = new EdgeContext(options, gate, rateLimit, routes, dialer ?? new TcpUpstreamDialer(discovery.Hosts, epoll), time, logger,
            observer ?? ConnectionObservers.None, tls, tls is null ? null : new SniRouter(routes.Services), tunnel, discovery.Cache)
        {
            Picker = new BackendPicker(backends, Random.Shared),
            Epoll = epoll,
        };

        var listeners = new List<EdgeListener>();
        try
        {
            if (inherited is not { Count: > 0 })
            {
                // A fresh start: every address is checked before any is bound (EnsureNotInUse).
                foreach (var listener in options.Listeners)
                {
                    EdgeListener.EnsureNotInUse(listener);
                }
            }

            foreach (var listener in options.Listeners)
            {
                listeners.Add(inherited is not null && inherited.Remove(listener.EndPoint, out var socket)
                    ? EdgeListener.Adopt(listener, socket, logger, time)
                    : EdgeListener.Bind(listener, options.Backlog, logger, time));
            }
        }
        catch (ListenerBindException)
        {
            listeners.ForEach(l => l.Stop());
            discovery.Dispose();
            epoll?.Dispose(); // Its loop threads and descriptors.
            throw;
        }

        var server = new EdgeServer(context, listeners, memory) { Discovery = discovery };
        server._healthChecks = options.Balancing.HealthCheck == HealthCheckKind.Tcp ? HealthChecker.Start(routes, backends, time, discovery.Cache is { } cache ? cache.DiscoveredTargets : null, discovery.Hosts) : null;
        foreach (var listener in listeners)
        {
            // On the thread pool, away from any caller's SynchronizationContext (a test runner's, say):
            // every connection's continuations descend from this loop.
            server._acceptLoops.Add(Task.Run(() => listener.RunAsync(server._onAccepted)));
        }

        return server;
    }

    /// <summary>
    /// Stops accepting, lets open connections finish for up to <paramref name="drainTimeout"/>, then closes
    /// the rest with <see cref="CloseReason.Shutdown"/>. Idempotent.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        // Step 1: stop accepting; the kernel refuses new clients from here on (or, after a handoff, the
        // next process accepts them on the same sockets).
        _listeners.ForEach(l =>
        {
            if (_handedOff)
            {
                l.Release();
            }
            else
            {
                l.Stop();
            }
        });
        await Task.WhenAll(_acceptLoops);

        // Step 2: let open connections finish on their own, up to the drain deadline.
        Log.Draining(_context.Logger, _table.Active, drainTimeout.TotalSeconds);
        if (!await WaitForEmptyAsync(drainTimeout))
        {
            // Step 3: close what is left, then wait for the close lines (bounded: closing is local work).
            Log.DrainDeadlinePassed(_context.Logger, _table.Active);
            _table.ForEach(static (c, _) => c.Close(CloseReason.Shutdown), 0);
            await WaitForEmptyAsync(TimeSpan.FromSeconds(5));
        }

        _idleSweeper?.Dispose();
        _rateEviction?.Dispose();
        if (_healthChecks is { } checks)
        {
            await checks.DisposeAsync();
        }

        Discovery?.Dispose(); // After the drain: no connection asks any more.
        _context.Epoll?.Dispose(); // After the drain: its loops carry no connection any more.
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero);

    private async Task<bool> WaitForEmptyAsync(TimeSpan timeout)
    {
        try
        {
            await _table.WhenEmptyAsync().WaitAsync(timeout, _context.Time);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void OnAccepted(Socket socket, EdgeListener listener) => _ = HandleAsync(socket, listener); // Errors are handled inside.

    private async Task HandleAsync(Socket socket, EdgeListener listener)
    {
        var connection = _pool.Get();
        connection.Reset(Interlocked.Increment(ref _nextConnectionId));
        if (!TryAdmit(socket, listener, connection, out var source))
        {
            return; // Refused at a limit: closed, counted, logged and reported inside.
        }

        var reusable = false;
        try
        {
            var reason = await connection.RunAsync(socket, listener.Options, _context);
            Closed.Increment(reason);
            reusable = true;
        }
        catch (Exception ex)
        {
            // A bug, not a connection outcome: log it loudly and do not reuse the half-torn state.
            Log.ConnectionUnexpectedError(_context.Logger, connection.Id, ex);
            connection.AbortTransports();
            socket.Dispose();
            connection.EndBackendSession(); // Its backend must not count a session that will never end.
        }
        finally
        {
            // The source first: once the table says a connection is gone, its address may connect again (a client
            // that saw ActiveConnections drop must not be refused for a slot not yet given back).
            ReleaseSource(source);
            _table.Remove(connection);
            if (reusable)
            {
                _pool.Return(connection);
            }
        }
    }

    private void SweepIdle()
    {
        var now = _context.Time.GetTimestamp();
        _table.ForEach(static (c, state) => c.CloseIfIdle(state.now, state.idle), (now, idle: _context.Options.IdleTimeout));
    }

    private sealed class RelayedConnectionPolicy(System.IO.Pipelines.PipeOptions pipeOptions, TimeProvider time)
        : PooledObjectPolicy<RelayedConnection>
    {
        public override RelayedConnection Create() => new(pipeOptions, time);

        public override bool Return(RelayedConnection obj) => true;
    }
}
