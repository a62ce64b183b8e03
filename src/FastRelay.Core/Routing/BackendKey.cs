using FastRelay.Configuration;

namespace FastRelay.Routing;

/// <summary>
/// A backend's identity (routing-contract.md): the same host, port and path (direct or through the tunnel) is the
/// same backend, whatever its weight and whichever route, discovery answer or reload listed it.
/// </summary>
public readonly record struct BackendKey(string Host, int Port, bool ViaTunnel)
{
    /// <summary>The key of <paramref name="target"/>.</summary>
    public static BackendKey Of(TargetOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new BackendKey(target.Host, target.Port, target.ViaTunnel);
    }

    /// <summary>True when <paramref name="target"/> is this backend.</summary>
    public bool Is(TargetOptions target) => target.Port == Port && target.ViaTunnel == ViaTunnel && string.Equals(target.Host, Host, StringComparison.OrdinalIgnoreCase);
}
