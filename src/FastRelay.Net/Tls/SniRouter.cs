namespace FastRelay.Tls;

/// <summary>
/// Picks a TLS connection's route from the SNI name the client sent: the route whose service name equals the
/// name, ignoring case (<c>crm.corp.example</c> goes to <c>--route crm.corp.example=…</c>; an internationalized name
/// to the route named by its A-labels, <c>--route xn--bcher-kva.example=…</c>); a name that
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
        if (!string.IsNullOrEmpty(serverName))
        {
            var name = serverName.TrimEnd('.');
            if (_byName.TryGetValue(name, out var service) || (!System.Text.Ascii.IsValid(name) && AsciiForm(name) is { } aLabels && _byName.TryGetValue(aLabels, out service)))
            {
                return service;
            }
        }

        return defaultService.Length > 0 ? defaultService : null;
    }

    // Clients send an internationalized name as A-labels (xn--…), as routes must be written (service names are ASCII),
    // but .NET hands the server the name decoded to Unicode: compare in the A-label form. Null for a name IDNA refuses.
    private static string? AsciiForm(string name)
    {
        try
        {
            return new System.Globalization.IdnMapping().GetAscii(name); // Per call: only non-ASCII names get here.
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
