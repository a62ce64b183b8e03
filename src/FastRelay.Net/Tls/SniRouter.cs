namespace FastRelay.Tls;

/// <summary>
/// Picks a TLS connection's route from the SNI name the client sent: the route whose service name equals the
/// name, ignoring case (<c>crm.corp.example</c> goes to <c>--route crm.corp.example=…</c>); a name that
/// names no route, or no name at all, goes to the listener's default service; without one, nowhere.
/// Immutable and thread-safe.
/// </summary>
internal sealed class SniRouter
{
    private readonly Dictionary<string, string> _byName;

    /// <summary>Indexes <paramref name="services"/>; on names that differ only in case, the first listed wins.</summary>
    public SniRouter(IEnumerable<string> services)
    {
        _byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services)
        {
            _byName.TryAdd(service, service);
        }
    }

    /// <summary>The service for <paramref name="serverName"/>, or <paramref name="defaultService"/>; null when neither applies.</summary>
    /// <param name="serverName">The SNI host name; null or empty when the client sent none.</param>
    /// <param name="defaultService">The listener's service; empty for a listener without a default.</param>
    public string? Pick(string? serverName, string defaultService)
    {
        if (!string.IsNullOrEmpty(serverName) && _byName.TryGetValue(serverName.TrimEnd('.'), out var service))
        {
            return service;
        }

        return defaultService.Length > 0 ? defaultService : null;
    }
}
