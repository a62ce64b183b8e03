using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// What the edge knows of one backend (<see cref="BackendKey"/>): sessions outstanding on it, the EWMA of its
/// connect time, its active-check health and its passive ejection. Kept by <see cref="BackendRegistry"/> while it is
/// in use, so it survives reloads and new discovery answers.
/// </summary>
/// <remarks>
/// Thread-safe. The hot path (outstanding, EWMA, <see cref="IsAvailable(long)"/>) is lock-free; health transitions
/// and ejections (rare) take a lock so each is decided, counted and logged once.
/// <para>Reporting contract for a session: <see cref="DialStarted"/> when its dial starts, then exactly one of
/// <see cref="DialFailed"/> (the backend failed to connect), <see cref="DialAbandoned"/> (not the backend's
/// fault: policy denial, drain) or <see cref="DialSucceeded"/>, and after a success <see cref="SessionEnded"/>.</para>
/// </remarks>
public sealed class BackendState
{
    private readonly BackendRegistry _registry;
    private readonly Lock _lock = new();
    private int _outstanding;
    private int _consecutiveFailures;
    private int _consecutiveEjections;
    private long _ejectedUntil; // A TimeProvider timestamp; 0 while admitted.
    private long _ejections;
    private long _connectFailures;
    private long _lastConnectTimestamp; // When the EWMA last took a sample (a connect or a failure); 0 before the first.
    private long _lastDialTimestamp; // When a session last started a dial here: the registry keeps a state in use pinned.
    private volatile bool _healthy = true;
    private int _checksPassed;
    private int _checksFailed;

    internal BackendState(BackendKey key, BackendRegistry registry)
    {
        Key = key;
        _registry = registry;
        Name = key.ViaTunnel ? RouteSyntax.TunnelPrefix + new TargetOptions(key.Host, key.Port, 1).Address : new TargetOptions(key.Host, key.Port, 1).Address;
    }

    /// <summary>The backend's identity.</summary>
    public BackendKey Key { get; }

    /// <summary>HOST:PORT (tunnel:HOST:PORT through the tunnel): the <c>backend</c> label of logs and metrics.</summary>
    public string Name { get; }

    /// <summary>Sessions dialling or open on it now.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>The EWMA of its connect times, a failed connect counting as its penalty (<see cref="DialFailed(TimeSpan)"/>).</summary>
    public LatencyEwma ConnectLatency { get; } = new();

    /// <summary>False after <c>--health-fall</c> failed active checks in a row, until <c>--health-rise</c> pass in a row.</summary>
    /// <remarks>True at start: a backend is trusted until a check says otherwise (no refusal while the first checks run).</remarks>
    public bool IsHealthy => _healthy;

    /// <summary>Ejections since start (<c>fastrelay_backend_ejections_total</c>).</summary>
    public long Ejections => Interlocked.Read(ref _ejections);

    /// <summary>True while ejected.</summary>
    public bool IsEjected => IsEjectedAt(_registry.Time.GetTimestamp());

    /// <summary>Healthy and not ejected at <paramref name="nowTimestamp"/>: a candidate outside panic mode.</summary>
    public bool IsAvailable(long nowTimestamp) => _healthy && !IsEjectedAt(nowTimestamp);

    /// <summary>
    /// As <see cref="IsAvailable(long)"/>, reading the clock only when an ejection is on record (the picker's hot
    /// path: most backends are never ejected). <paramref name="nowTimestamp"/> is 0 until read, then reused.
    /// </summary>
    internal bool IsAvailable(ref long nowTimestamp)
    {
        if (!_healthy)
        {
            return false;
        }

        if (Volatile.Read(ref _ejectedUntil) == 0)
        {
            return true;
        }

        if (nowTimestamp == 0)
        {
            nowTimestamp = _registry.Time.GetTimestamp();
        }

        return !IsEjectedAt(nowTimestamp);
    }

    /// <summary>A session's dial to it starts.</summary>
    public void DialStarted()
    {
        Interlocked.Increment(ref _outstanding);
        Volatile.Write(ref _lastDialTimestamp, _registry.Time.GetTimestamp());
    }

    /// <summary>The <see cref="BackendRegistry.Time"/> timestamp of the last <see cref="DialStarted"/>; 0 before the first.</summary>
    internal long LastDialTimestamp => Volatile.Read(ref _lastDialTimestamp);

    /// <summary>The dial connected after <paramref name="latency"/>; the session is outstanding until <see cref="SessionEnded"/>.</summary>
    public void DialSucceeded(TimeSpan latency)
    {
        ConnectLatency.Add(latency);
        Volatile.Write(ref _lastConnectTimestamp, _registry.Time.GetTimestamp());
        Volatile.Write(ref _consecutiveFailures, 0);
        Volatile.Write(ref _consecutiveEjections, 0); // A success ends the run of ejections: the next one starts at --eject-time again.
    }

    /// <summary>
    /// The connect-time EWMA as the picker weighs it at <paramref name="nowTimestamp"/>: faded towards zero with a
    /// time constant of <see cref="LatencyFadeSeconds"/> since the last connect (linkerd's peak-EWMA decays the same
    /// way). Without the fade, one slow connect during a quiet spell, when every session is a tie on outstanding,
    /// would keep a backend from ever being picked again to show it is fast now.
    /// </summary>
    public double ConnectLatencyMsAt(long nowTimestamp)
    {
        var last = Volatile.Read(ref _lastConnectTimestamp);
        var average = ConnectLatency.Milliseconds;
        if (last == 0 || average == 0)
        {
            return average;
        }

        var idleSeconds = Math.Max(0, _registry.Time.GetElapsedTime(last, nowTimestamp).TotalSeconds);
        return average * Math.Exp(-idleSeconds / LatencyFadeSeconds);
    }

    /// <summary>The time constant of <see cref="ConnectLatencyMsAt"/>'s fade.</summary>
    public const double LatencyFadeSeconds = 1.0;

    /// <summary>Connects that failed because of the backend, since start.</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>
    /// The dial failed because of the backend (refused, timed out, unreachable): counts towards ejection, and into
    /// the connect-time EWMA as <paramref name="penalty"/> (the caller's connect timeout: the worst wait a client
    /// could have had). Without it a backend that refuses at once never gets a sample, keeps an EWMA of 0 and wins
    /// every tie against one that connects in a millisecond; with <c>--eject-after 0</c> it then took 38 of 40
    /// sessions. The penalty fades like any sample, so a quiet spell lets the backend be tried again.
    /// </summary>
    public void DialFailed(TimeSpan penalty)
    {
        Interlocked.Decrement(ref _outstanding);
        Interlocked.Increment(ref _connectFailures);
        ConnectLatency.Add(penalty);
        Volatile.Write(ref _lastConnectTimestamp, _registry.Time.GetTimestamp());
        var ejectAfter = _registry.Options.EjectAfter;
        if (ejectAfter == 0)
        {
            return;
        }

        var failures = Interlocked.Increment(ref _consecutiveFailures);

        // Back from an ejection and failing again (no success in between): out again at once with twice the time,
        // as a circuit breaker's half-open probe does, rather than after --eject-after more failed sessions.
        var probation = Volatile.Read(ref _consecutiveEjections) > 0;
        if (failures >= ejectAfter || probation)
        {
            TryEject(failures);
        }
    }

    /// <summary>The dial ended without the backend being at fault (a policy denial, a drain): only the count goes down.</summary>
    public void DialAbandoned() => Interlocked.Decrement(ref _outstanding);

    /// <summary>A session that connected has ended.</summary>
    public void SessionEnded() => Interlocked.Decrement(ref _outstanding);

    /// <summary>One active check's result; returns true when it changed <see cref="IsHealthy"/> (logged once by the registry).</summary>
    public bool ReportCheck(bool passed, string? detail)
    {
        lock (_lock)
        {
            if (passed)
            {
                _checksFailed = 0;
                if (++_checksPassed < _registry.Options.HealthRise || _healthy)
                {
                    return false;
                }

                _healthy = true;
            }
            else
            {
                _checksPassed = 0;
                if (++_checksFailed < _registry.Options.HealthFall || !_healthy)
                {
                    return false;
                }

                _healthy = false;
            }
        }

        _registry.OnHealthChanged(this, detail);
        return true;
    }

    private void TryEject(int failures)
    {
        TimeSpan duration;
        lock (_lock)
        {
            var now = _registry.Time.GetTimestamp();
            if (IsEjectedAt(now))
            {
                return; // Sessions that were dialling when it was ejected fail too: one ejection covers them.
            }

            var runs = _consecutiveEjections;
            var ticks = Math.Min(_registry.Options.EjectTime.Ticks * (1L << Math.Min(runs, 20)), BalancingOptions.MaxEjectTime.Ticks);
            duration = TimeSpan.FromTicks(ticks);
            Volatile.Write(ref _ejectedUntil, Math.Max(1, now + (long)(duration.TotalSeconds * _registry.Time.TimestampFrequency)));
            _consecutiveEjections = runs + 1;
            _consecutiveFailures = 0;
            Interlocked.Increment(ref _ejections);
        }

        _registry.OnEjected(this, failures, duration);
    }

    private bool IsEjectedAt(long nowTimestamp)
    {
        var until = Volatile.Read(ref _ejectedUntil);
        if (until == 0)
        {
            return false;
        }

        if (nowTimestamp < until)
        {
            return true;
        }

        // Its time is up: the first to notice re-admits it and says so once.
        if (Interlocked.CompareExchange(ref _ejectedUntil, 0, until) == until)
        {
            _registry.OnReadmitted(this);
        }

        return false;
    }
}
