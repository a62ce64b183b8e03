using System.Collections.Concurrent;
using FastRelay.Configuration;
using FastRelay.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Routing;

/// <summary>
/// Every backend the edge has picked or checked, by identity (<see cref="BackendKey"/>): one
/// <see cref="BackendState"/> each, kept for the process's life so that outstanding sessions, latency, health
/// and ejection survive a route reload and a new discovery answer. Logs each health change once.
/// </summary>
/// <remarks>
/// Thread-safe. A backend that leaves every route keeps its (small) state; discovery answers that churn through
/// many addresses grow the table by one object per address ever seen.
/// </remarks>
public sealed partial class BackendRegistry
{
    private readonly ConcurrentDictionary<BackendKey, BackendState> _backends = new();
    private readonly ILogger _logger;
    private readonly OncePerInterval _panicLog;

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

    /// <summary>Every backend seen so far.</summary>
    public ICollection<BackendState> All => _backends.Values;

    /// <summary>The state of <paramref name="target"/>'s backend, created on first use. Allocation-free once it exists.</summary>
    public BackendState Get(TargetOptions target) => _backends.GetOrAdd(BackendKey.Of(target), static (key, registry) => new BackendState(key, registry), this);

    /// <summary>The state of <paramref name="key"/>, if it was ever seen.</summary>
    public BackendState? Find(BackendKey key) => _backends.TryGetValue(key, out var state) ? state : null;

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
