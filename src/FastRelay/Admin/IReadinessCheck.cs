namespace FastRelay.Admin;

/// <summary>
/// One condition of <c>/readyz</c>: the edge is ready when every check is. The listener check is built in;
/// the tunnel adds "at least one gateway reachable" for an edge with a tunnel route.
/// </summary>
/// <remarks>Contract: thread-safe, quick (no I/O: report state kept up to date elsewhere), never throws.</remarks>
internal interface IReadinessCheck
{
    /// <summary>A short name shown in the /readyz body and /status ("listeners", "gateways").</summary>
    string Name { get; }

    /// <summary>True when ready; <paramref name="detail"/> says why or why not, in a few words.</summary>
    bool IsReady(out string detail);
}

/// <summary>A readiness check from a delegate (tests, and subsystems with a simple condition).</summary>
internal sealed class DelegateReadinessCheck(string name, Func<(bool Ready, string Detail)> check) : IReadinessCheck
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public bool IsReady(out string detail)
    {
        (var ready, detail) = check();
        return ready;
    }
}
