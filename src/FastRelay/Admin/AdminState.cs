using System.Net;
using FastRelay.Configuration;
using FastRelay.Diagnostics.Prometheus;
using FastRelay.Relaying;

namespace FastRelay.Admin;

/// <summary>
/// What the admin endpoint reports and acts on: filled by the host, read by <see cref="AdminEndpoints"/>.
/// Subsystems plug in here: readiness checks, certificate expiry (TLS), gateways (tunnel), reload steps.
/// </summary>
/// <remarks>Add checks and hooks before the admin server starts; <see cref="Server"/> is set once the listeners are bound.</remarks>
internal sealed class AdminState
{
    private volatile EdgeServer? _server;

    public required string Version { get; init; }

    public required TimeProvider Time { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required EdgeOptions Options { get; init; }

    /// <summary>The metrics exporter; null renders /metrics as 404.</summary>
    public PrometheusExporter? Metrics { get; init; }

    /// <summary>The running edge, once its listeners are bound; null before.</summary>
    public EdgeServer? Server { get => _server; set => _server = value; }

    /// <summary>
    /// For a process without an <see cref="EdgeServer"/> (the gateway): its policy gate and whether it drains,
    /// so /status reports its state and policy rather than "starting". Null on the edge.
    /// </summary>
    public (Filtering.PolicyGate Policy, Func<bool> IsStopping)? Role { get; set; }

    /// <summary>
    /// For a process without an <see cref="EdgeServer"/> (the gateway): its listeners and its connections (a gateway's
    /// are tunnel streams, as its metrics count them) for /status. Null on the edge.
    /// </summary>
    public (Func<IReadOnlyList<(string Service, System.Net.IPEndPoint EndPoint)>> Listeners, Func<long> Active, Func<long> Closed)? Traffic { get; set; }

    /// <summary>The address the admin endpoint is bound to (with the real port when 0 was asked for).</summary>
    public IPEndPoint? AdminEndPoint { get; set; }

    /// <summary>The conditions of /readyz, each also listed in /status.</summary>
    public List<IReadinessCheck> ReadinessChecks { get; } = [];

    /// <summary>TLS's hook: certificates in use and their expiry, for /status.</summary>
    public List<Func<IEnumerable<CertificateStatus>>> Certificates { get; } = [];

    /// <summary>Balancing's hook: the routes in force (a reload swaps them) and their backends' state, for /status; null: the options' routes, no backends.</summary>
    public (Func<IReadOnlyList<RouteOptions>> Routes, Func<IEnumerable<BackendStatus>> Backends)? Balancing { get; set; }

    /// <summary>The tunnel's hook: gateways and their health, for /status.</summary>
    public List<Func<IEnumerable<GatewayStatus>>> Gateways { get; } = [];

    /// <summary>
    /// The reload steps of POST /reload and SIGHUP, in order: the config check and the policy today;
    /// certificates with TLS. Each
    /// takes the trigger ("SIGHUP", "POST /reload") and returns whether it succeeded and a one-line message.
    /// </summary>
    public List<Func<string, (bool Succeeded, string Message)>> ReloadSteps { get; } = [];

    /// <summary>
    /// True once every reload step and the drain are wired. The admin endpoint starts before the listeners (it must be
    /// up for a handoff), so a POST arriving in between would run a reload with steps missing and report success.
    /// </summary>
    public bool ActionsReady { get => _actionsReady; set => _actionsReady = value; }

    private volatile bool _actionsReady;

    /// <summary>What POST /drain does: the same as SIGTERM.</summary>
    public Action<string>? Drain { get; set; }

    /// <summary>Told of every reload's outcome (the host logs it).</summary>
    public Action<string, ReloadReport>? Reloaded { get; set; }

    /// <summary>Runs every reload step; a failed one does not stop the next.</summary>
    public ReloadReport Reload(string trigger)
    {
        // One reload at a time (SIGHUP and POST /reload run on pool threads): a slower one that read the files first must
        // never install what they said after a newer one installed their new contents (a removed --edge-key back in).
        lock (_reloading)
        {
            var results = ReloadSteps.Select(step => step(trigger)).ToList();
            var report = results.Count == 0
                ? new ReloadReport(true, ["nothing to reload"])
                : new ReloadReport(results.All(r => r.Succeeded), [.. results.Select(r => r.Message)]);
            Reloaded?.Invoke(trigger, report);
            return report;
        }
    }

    private readonly Lock _reloading = new();

    /// <summary>True once a drain was asked for (SIGTERM, /drain, handoff).</summary>
    public bool Draining => Server is { IsStopping: true } || Role?.IsStopping() == true;
}

/// <summary>A certificate the edge serves or trusts, for /status.</summary>
internal sealed record CertificateStatus(string Name, string Subject, DateTimeOffset NotAfter);

/// <summary>A route's backend and its balancing state, for /status.</summary>
internal sealed record BackendStatus(string Service, string Backend, int Weight, bool Healthy, bool Ejected, int Outstanding, double ConnectMsEwma, long Ejections, long ConnectFailures);

/// <summary>A gateway and whether it is reachable now, for /status.</summary>
internal sealed record GatewayStatus(string Address, bool Healthy, string? Detail);

/// <summary>What a reload did: one message per part (policy, certificates, ...), and whether every part succeeded.</summary>
internal sealed record ReloadReport(bool Succeeded, IReadOnlyList<string> Messages);
