using FastRelay.Configuration;
using FastRelay.Routing;

namespace FastRelay.Health;

/// <summary>
/// Active health checks (<c>--health-check tcp</c>): every <c>--health-interval</c>, each distinct direct target of
/// the current routes is checked with <see cref="TcpHealthProbe"/>, and the result goes to its
/// <see cref="BackendState.ReportCheck"/> (rise/fall counting; the registry logs each change once).
/// </summary>
/// <remarks>
/// <c>tunnel:</c> targets are not checked: the gateway dials them, from another network (its liveness is the tunnel's
/// PING). The checks of one round run in parallel, so one slow backend delays no other; a round waits for its slowest
/// check (at most <c>--health-timeout</c>) before the next interval starts, so checks of one backend never overlap.
/// A reload's new targets are checked from the next round.
/// </remarks>
internal sealed class HealthChecker : IAsyncDisposable
{
    private readonly RouteTable _routes;
    private readonly BackendRegistry _registry;
    private readonly TimeProvider _time;
    private readonly TcpHealthProbe _probe;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    private readonly Func<IEnumerable<TargetOptions>>? _discovered;

    private HealthChecker(RouteTable routes, BackendRegistry registry, TimeProvider time, Func<IEnumerable<TargetOptions>>? discovered, Routing.Discovery.HostCache? hosts)
    {
        _routes = routes;
        _discovered = discovered;
        _registry = registry;
        _time = time;
        var options = registry.Options;
        _probe = new TcpHealthProbe(options.HealthTimeout, options.HealthSend, options.HealthExpect, hosts);
    }

    /// <summary>
    /// Starts checking the routes' direct targets and, with <paramref name="discovered"/>, the direct targets of the
    /// answers discovery gave; the first round runs at once. Names resolve through <paramref name="hosts"/> (the
    /// sessions' cache and --dns-server) when given.
    /// </summary>
    public static HealthChecker Start(RouteTable routes, BackendRegistry registry, TimeProvider time, Func<IEnumerable<TargetOptions>>? discovered = null,
        Routing.Discovery.HostCache? hosts = null)
    {
        var checker = new HealthChecker(routes, registry, time, discovered, hosts);
        checker._loop = Task.Run(checker.RunAsync); // Away from the caller's context; ends when disposed.
        return checker;
    }

    /// <summary>Probes in flight at once: discovery can name thousands of targets, each probe a socket and a timer.</summary>
    public const int MaxConcurrentProbes = 64;

    /// <summary>Runs one round now (tests; the loop runs them on its own).</summary>
    public Task CheckAllAsync() =>
        Parallel.ForEachAsync(Targets(), new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentProbes }, (target, _) => new ValueTask(CheckAsync(target)));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            await CheckAllAsync();
            try
            {
                await Task.Delay(_registry.Options.HealthInterval, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return; // Disposed: the loop ends.
            }
        }
    }

    private IEnumerable<TargetOptions> Targets() => _routes.Current
        .SelectMany(r => r.Targets)
        .Concat(_discovered?.Invoke() ?? [])
        .Where(t => !t.ViaTunnel)
        .DistinctBy(BackendKey.Of);

    private async Task CheckAsync(TargetOptions target)
    {
        bool passed;
        string? detail;
        try
        {
            (passed, detail) = await _probe.CheckAsync(target, _stopping.Token);
        }
#pragma warning disable CA1031 // Whatever one probe hits is that target's failed check, never the end of the health loop.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            (passed, detail) = (false, $"{ex.GetType().Name}: {ex.Message}");
        }

        if (!_stopping.IsCancellationRequested)
        {
            _registry.Get(target).ReportCheck(passed, detail);
        }
    }
}
