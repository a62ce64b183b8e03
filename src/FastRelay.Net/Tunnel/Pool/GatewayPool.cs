using FastRelay.Configuration;
using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// The edge's tunnel connections to one gateway: pre-warmed at start, grown when every connection is full,
/// idle ones reaped, spent ones drained and replaced, dead ones replaced, failed dials retried with backoff and
/// jitter. The decisions are <see cref="PoolPlan"/>'s; this class carries them out.
/// </summary>
/// <remarks>
/// Thread-safe. The hot path (<see cref="TryReserve"/>) reads one volatile array and takes a slot with one CAS;
/// changes to the set of links copy the array under a lock (rare: a dial, a death, a reap).
/// </remarks>
internal sealed partial class GatewayPool : IAsyncDisposable
{
    private readonly GatewayAddress _gateway;
    private readonly ITunnelLinkDialer _dialer;
    private readonly PoolPolicyOptions _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TunnelPoolEvents _events;
    private readonly RedialBackoff _backoff;
    private readonly Lock _lock = new();
    private readonly Lock _maintainLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile PooledLink[] _links = [];
    private int _dialsInFlight;
    private long _nextDialTimestamp;
    private long _nextLinkId;
    private string? _lastFailure;
    private readonly HashSet<PooledLink> _retired = []; // Out of the pool to drain (idle, recycled), still open; under _lock.

    public GatewayPool(GatewayAddress gateway, ITunnelLinkDialer dialer, PoolPolicyOptions policy, TimeProvider time, Random random, ILogger logger, TunnelPoolEvents events)
    {
        _gateway = gateway;
        Name = gateway.ToString();
        _dialer = dialer;
        _policy = policy;
        _time = time;
        _logger = logger;
        _events = events;
        _backoff = new RedialBackoff(random);
    }

    /// <summary>The gateway's address as configured (label of logs and metrics).</summary>
    public string Name { get; }

    /// <summary>Connections in the pool now (a draining one leaves it at once; it closes when its streams end).</summary>
    public int Connections => _links.Length;

    /// <summary>Connections that left the pool to drain (idle, recycled) and are still open: their streams are finishing.</summary>
    public int DrainingConnections
    {
        get
        {
            lock (_lock)
            {
                return _retired.Count;
            }
        }
    }

    /// <summary>
    /// Whether this gateway counts as reachable for /readyz: a connection takes streams now, or, with no warm connections
    /// asked for (<c>--tunnel-prewarm 0</c>: the pool dials on demand and lets idle ones go), none is open and the last
    /// dial did not fail, so the next session dials it.
    /// </summary>
    public bool IsReachable => UsableConnections > 0 || (_policy.Warm == 0 && LastFailure is null);

    /// <summary>Connections that take new streams now.</summary>
    public int UsableConnections => _links.Count(l => l.IsUsable);

    /// <summary>True when some connection would take a stream now (a loop, not LINQ: the choice of gateway reads it per session).</summary>
    public bool HasRoom
    {
        get
        {
            foreach (var link in _links)
            {
                if (link.HasRoom)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Streams open now over this gateway (the load power-of-two-choices compares).</summary>
    public int OpenStreams
    {
        get
        {
            var open = 0;
            foreach (var link in _links)
            {
                open += link.Slots.Open;
            }

            return open;
        }
    }

    /// <summary>The EWMA of OPEN→OPEN_OK times through this gateway: the tie-breaker between equally loaded gateways.</summary>
    public Routing.LatencyEwma OpenLatency { get; } = new();

    /// <summary>
    /// True when <paramref name="a"/> should take the next stream rather than <paramref name="b"/>: fewer open
    /// streams, then (a tie) the lower OPEN latency EWMA, or before any OPEN the lower ping round trip.
    /// </summary>
    internal static bool IsLessLoaded(GatewayPool a, GatewayPool b)
    {
        var byLoad = a.OpenStreams.CompareTo(b.OpenStreams);
        if (byLoad != 0)
        {
            return byLoad < 0;
        }

        // An unmeasured gateway is tried first (it gets its first sample); latencies within a quarter of each
        // other are a tie, which the caller's random sampling settles.
        return (a.OpenLatency.HasSample, b.OpenLatency.HasSample) switch
        {
            (true, true) => Routing.BackendPicker.CompareLatency(a.OpenLatency.Milliseconds, b.OpenLatency.Milliseconds) < 0,
            (false, true) => true,
            (true, false) => false,
            _ => Routing.BackendPicker.CompareLatency(a.MinPingRtt().TotalMilliseconds, b.MinPingRtt().TotalMilliseconds) < 0,
        };
    }

    // The smallest recent ping round trip, without LINQ (read per session on a tie); MaxValue when none was measured.
    private TimeSpan MinPingRtt()
    {
        var min = TimeSpan.MaxValue;
        foreach (var link in _links)
        {
            if (link.Link.LastPingRtt is { } rtt && rtt < min)
            {
                min = rtt;
            }
        }

        return min;
    }

    /// <summary>Successful handshakes with this gateway since start (a new session over a warm pool adds none).</summary>
    public long Handshakes => Interlocked.Read(ref _handshakes);

    /// <summary>Dials that failed since start.</summary>
    public long FailedDials => Interlocked.Read(ref _failedDials);

    /// <summary>True while its last dial failed and no new one is on its way (it is backing off).</summary>
    public bool IsDown => Volatile.Read(ref _lastFailure) is not null && Volatile.Read(ref _dialsInFlight) == 0 && UsableConnections == 0;

    /// <summary>Why the last dial failed; null after a success.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>The smallest recent ping round trip among its connections, when measured.</summary>
    public TimeSpan? PingRtt => MinPingRtt() is var min && min != TimeSpan.MaxValue ? min : null;

    // A link closed this soon after its handshake, before any stream, was refused rather than lost.
    private static readonly TimeSpan YoungLinkLifetime = TimeSpan.FromSeconds(2);

    private long _handshakes;
    private long _failedDials;

    /// <summary>
    /// Takes a slot on the least-loaded usable connection with room; null when none has room (the caller
    /// asks for growth with <see cref="Maintain"/> and waits for capacity).
    /// </summary>
    public PooledLink? TryReserve()
    {
        // Least-loaded first: streams spread over the warm connections (separate TCP flows and write loops).
        while (true)
        {
            PooledLink? best = null;
            foreach (var link in _links)
            {
                if (link.HasRoom && (best is null || link.Slots.Open < best.Slots.Open))
                {
                    best = link;
                }
            }

            if (best is null)
            {
                return null;
            }

            if (best.Slots.TryReserve())
            {
                if (best.Slots.IsSpent)
                {
                    // --keepalive-requests reached: this is its last stream. Dial the replacement now, so nobody
                    // waits for it; the GOAWAY goes after this stream's OPEN (RecycleIfSpent), or it would refuse it.
                    Maintain();
                }

                return best;
            }

            // Another session took the last slot between the look and the reservation: look again.
        }
    }

    /// <summary>
    /// One maintenance step: replace dead links, dial to the warm count (or one more when all are full), reap
    /// idle ones, count rekeys. Called by the pool's timer, after each change, and when a session finds no room.
    /// </summary>
    public void Maintain(bool sessionWaiting = false)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        // One step at a time: two steps racing (the timer and a session that found no room) would both see the
        // same deficit and both dial. A step is a few comparisons; it never waits on I/O.
        lock (_maintainLock)
        {
            MaintainLocked(sessionWaiting);
        }
    }

    private void MaintainLocked(bool sessionWaiting)
    {
        var links = _links;
        Span<PooledConnectionView> views = links.Length <= 64 ? stackalloc PooledConnectionView[links.Length] : new PooledConnectionView[links.Length];
        for (var i = 0; i < links.Length; i++)
        {
            views[i] = links[i].View();
            if (views[i].Usable && _time.GetElapsedTime(links[i].CreatedTimestamp) >= YoungLinkLifetime)
            {
                MarkHealthy();
            }

            if (links[i].Link.Epoch != links[i].SeenEpoch)
            {
                links[i].SeenEpoch = links[i].Link.Epoch;
                _events.Rekeyed(Name);
            }

            // Sampled here (each period) rather than per ping: the session keeps only the last round trip.
            if (links[i].Link.LastPingRtt is { } rtt && rtt != links[i].SeenRtt)
            {
                links[i].SeenRtt = rtt;
                _events.Pinged(Name, rtt);
            }
        }

        Span<int> reap = links.Length <= 64 ? stackalloc int[links.Length] : new int[links.Length];
        var reaped = PoolPlan.SelectReaped(views, _policy, reap);
        foreach (var index in reap[..reaped])
        {
            if (links[index].TryDrain(TunnelErrorCode.NoError, "idle"))
            {
                Log.Reaped(_logger, Name, links[index].Id, links[index].IdleFor.TotalSeconds);
                Retire(links[index]);
            }
        }

        // --tunnel-prewarm 0 dials on demand, but a gateway whose last dial failed is probed (after the backoff) until one
        // succeeds: else nothing would try again once a load balancer, seeing /readyz say no gateway, sends no session.
        var probe = _policy.Warm == 0 && links.Length == 0 && Volatile.Read(ref _lastFailure) is not null;
        var dials = PoolPlan.DialsNeeded(views, Volatile.Read(ref _dialsInFlight), _policy, sessionWaiting || probe);
        if (dials > 0 && _time.GetTimestamp() >= Volatile.Read(ref _nextDialTimestamp))
        {
            for (var i = 0; i < dials; i++)
            {
                Interlocked.Increment(ref _dialsInFlight);
                _ = DialAsync(); // Outcomes are handled inside; nothing to await here.
            }
        }
    }

    /// <summary>Sends GOAWAY to every connection (shutdown); streams in flight finish.</summary>
    public void DrainAll()
    {
        _stopping.Cancel();
        foreach (var link in _links)
        {
            link.TryDrain(TunnelErrorCode.NoError, "shutting down");
        }
    }

    /// <summary>Completes when each connection open now has closed (never faulted).</summary>
    public IEnumerable<Task> Closing
    {
        get
        {
            lock (_lock)
            {
                return [.. _links.Concat(_retired).Select(l => (Task)l.Link.Completion)];
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        DrainAll();
        PooledLink[] links;
        lock (_lock)
        {
            links = [.. _links, .. _retired]; // The draining ones too: at dispose nothing is left open.
            _links = [];
            _retired.Clear();
        }

        foreach (var link in links)
        {
            await link.Link.DisposeAsync();
        }

        // _stopping is not disposed: a dial or a backoff timer finishing after this still reads its token, and a
        // cancelled source without a timer holds nothing that needs disposing.
    }

    /// <summary>After the OPEN of a link's last stream (<c>--keepalive-requests</c>): drain it; its streams finish, then it closes.</summary>
    public void RecycleIfSpent(PooledLink link)
    {
        if (link.Slots.IsSpent)
        {
            Recycle(link);
        }
    }

    private void Recycle(PooledLink link)
    {
        if (link.TryDrain(TunnelErrorCode.NoError, "recycled after --keepalive-requests streams"))
        {
            Log.Recycled(_logger, Name, link.Id, link.Slots.Reserved);
            Retire(link);
            Maintain();
        }
    }

    // Out of the pool while its streams finish: counted as draining until it closes (WatchAsync).
    private void Retire(PooledLink link)
    {
        lock (_lock)
        {
            if (RemoveLocked(link))
            {
                _retired.Add(link);
            }
        }
    }

    // When a link closes: out of the pool, or out of the draining count; true when it was still in the pool.
    private bool RemoveClosed(PooledLink link)
    {
        lock (_lock)
        {
            if (RemoveLocked(link))
            {
                return true;
            }

            _retired.Remove(link);
            return false;
        }
    }

    private bool RemoveLocked(PooledLink link)
    {
        var index = Array.IndexOf(_links, link);
        if (index < 0)
        {
            return false;
        }

        _links = [.. _links[..index], .. _links[(index + 1)..]];
        return true;
    }
}
