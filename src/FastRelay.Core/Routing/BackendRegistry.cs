using System.Collections.Concurrent;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Routing;

/// <summary>
/// Every backend the edge is using, by identity (<see cref="BackendKey"/>): one <see cref="BackendState"/> each, so
/// that outstanding sessions, latency, health and ejection survive a route reload and a new discovery answer.
/// Logs each health change once.
/// </summary>
/// <remarks>
/// <para>Thread-safe. Bounded: discovery and DNS answers that churn through addresses would otherwise grow the table
/// by one state per address ever seen. A state stays while anything holds it (a route's or a discovery answer's
/// candidate set, a session, the health checker within <see cref="IdleTime"/>); once nothing has for
/// <see cref="IdleTime"/>, with no session on it, the registry lets it go, and the address gets a fresh state if it
/// comes back. Identity is never split: while any holder keeps a state, <see cref="Get"/> returns that same state
/// (the registry refers to it weakly once it is idle).</para>
/// </remarks>
public sealed partial class BackendRegistry
{
    /// <summary>How long a state nobody asked for (no pick list, session or check) is kept pinned.</summary>
    public static readonly TimeSpan IdleTime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<BackendKey, Entry> _backends = new();
    private readonly Lock _creating = new();
    private readonly ILogger _logger;
    private readonly OncePerInterval _panicLog;
    private long _nextSweep;

    /// <summary>A registry with <paramref name="options"/>' ejection and check thresholds.</summary>
    public BackendRegistry(BalancingOptions options, TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Options = options;
        Time = time;
        _logger = logger ?? NullLogger.Instance;
        _panicLog = new OncePerInterval(time, TimeSpan.FromSeconds(1));
    }

    /// <summary>The thresholds.</summary>
    public BalancingOptions Options { get; }

    /// <summary>The clock of ejections.</summary>
    public TimeProvider Time { get; }

    /// <summary>Every backend whose state is alive now.</summary>
    public IReadOnlyList<BackendState> All => [.. _backends.Values.Select(e => e.Weak.TryGetTarget(out var state) ? state : null).OfType<BackendState>()];

    /// <summary>Entries in the table, live or waiting for the next sweep (for tests).</summary>
    internal int Count => _backends.Count;

    /// <summary>The state of <paramref name="target"/>'s backend, created on first use. Allocation-free once it exists.</summary>
    public BackendState Get(TargetOptions target)
    {
        var key = BackendKey.Of(target);
        var now = Time.GetTimestamp();
        if (_backends.TryGetValue(key, out var entry) && entry.Touch(now) is { } existing)
        {
            return existing;
        }

        lock (_creating)
        {
            if (_backends.TryGetValue(key, out entry) && entry.Touch(now) is { } raced)
            {
                return raced;
            }

            var state = new BackendState(key, this);
            _backends[key] = new Entry(state, now);
            SweepIfDue(now);
            return state;
        }
    }

    /// <summary>The state of <paramref name="key"/>, if it is alive.</summary>
    public BackendState? Find(BackendKey key) => _backends.TryGetValue(key, out var entry) && entry.Weak.TryGetTarget(out var state) ? state : null;

    /// <summary>
    /// Unpins states idle for <see cref="IdleTime"/> (or two health-check intervals, if longer): no <see cref="Get"/>,
    /// no dial and no session in that time. Drops entries whose state is gone. Runs on growth, at most once a minute.
    /// </summary>
    internal void Sweep(long now)
    {
        var idleTime = IdleTime > (2 * Options.HealthInterval) + Options.HealthTimeout ? IdleTime : (2 * Options.HealthInterval) + Options.HealthTimeout;
        var idle = (long)(idleTime.TotalSeconds * Time.TimestampFrequency);
        foreach (var (key, entry) in _backends)
        {
            if (!entry.Weak.TryGetTarget(out var state))
            {
                _ = _backends.TryRemove(new KeyValuePair<BackendKey, Entry>(key, entry));
                continue;
            }

            var used = Volatile.Read(ref entry.LastUsed);
            if (now - Math.Max(used, state.LastDialTimestamp) > idle && state.Outstanding == 0)
            {
                entry.Strong = null; // From now on only its holders keep it.
                if (Volatile.Read(ref entry.LastUsed) != used)
                {
                    entry.Strong = state; // A Get raced the unpin: it is in use after all.
                }
            }
        }
    }

    private void SweepIfDue(long now)
    {
        if (now >= _nextSweep)
        {
            _nextSweep = now + Time.TimestampFrequency * 60;
            Sweep(now);
        }
    }

    internal void OnHealthChanged(BackendState backend, string? detail)
    {
        if (backend.IsHealthy)
        {
            Log.BackendUp(_logger, backend.Name, Options.HealthRise);
        }
        else
        {
            Log.BackendDown(_logger, backend.Name, Options.HealthFall, detail ?? "check failed");
        }
    }

    internal void OnEjected(BackendState backend, int failures, TimeSpan duration) =>
        Log.BackendEjected(_logger, backend.Name, failures, ValueSyntax.FormatDuration(duration));

    internal void OnReadmitted(BackendState backend) => Log.BackendReadmitted(_logger, backend.Name);

    internal void OnPanic(CandidateSet set)
    {
        if (_panicLog.TryEnter())
        {
            Log.PanicMode(_logger, set.Describe());
        }
    }

    private sealed class Entry(BackendState state, long now)
    {
        public readonly WeakReference<BackendState> Weak = new(state);
        public BackendState? Strong = state;
        public long LastUsed = now;

        /// <summary>The state if alive, pinned again and marked used now; null when it was collected.</summary>
        public BackendState? Touch(long now)
        {
            if (!Weak.TryGetTarget(out var state))
            {
                return null;
            }

            Volatile.Write(ref LastUsed, now);
            Strong = state;
            return state;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 340, EventName = "BackendDown", Level = LogLevel.Warning,
            Message = "Backend {Backend} is down: {Fall} health checks failed in a row (last: {Detail}); new sessions go to the others")]
        public static partial void BackendDown(ILogger logger, string backend, int fall, string detail);

        [LoggerMessage(EventId = 341, EventName = "BackendUp", Level = LogLevel.Information,
            Message = "Backend {Backend} is up: {Rise} health checks passed in a row")]
        public static partial void BackendUp(ILogger logger, string backend, int rise);

        [LoggerMessage(EventId = 342, EventName = "BackendEjected", Level = LogLevel.Warning,
            Message = "Backend {Backend} ejected for {Duration} after {Failures} failed connects in a row; new sessions go to the others")]
        public static partial void BackendEjected(ILogger logger, string backend, int failures, string duration);

        [LoggerMessage(EventId = 343, EventName = "BackendReadmitted", Level = LogLevel.Information,
            Message = "Backend {Backend} re-admitted after its ejection; one more failed connect ejects it again for twice as long")]
        public static partial void BackendReadmitted(ILogger logger, string backend);

        [LoggerMessage(EventId = 344, EventName = "BackendPanicMode", Level = LogLevel.Warning,
            Message = "Every candidate is down or ejected ({Candidates}); picking among all of them (panic mode) rather than refusing the session")]
        public static partial void PanicMode(ILogger logger, string candidates);
    }
}
