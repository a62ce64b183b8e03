using System.Globalization;
using FastRelay.Configuration;

namespace FastRelay.Hosting;

/// <summary>
/// The config part of a reload (POST /reload, SIGHUP): the flags and <c>--config</c> file are read and
/// validated again, and the settings that differ from the running ones are named. None of them changes a
/// running edge (listeners and routes are sockets and pools); they take effect with a restart through
/// <c>--handoff</c>, which this step says. The policy file's contents are the policy step's business.
/// </summary>
internal static class ConfigChanges
{
    /// <summary>A reload step over <paramref name="rebuild"/> (the command line's own parser) against <paramref name="running"/>.</summary>
    public static Func<string, (bool Succeeded, string Message)> Step(EdgeOptions running, Func<(EdgeOptions? Options, IReadOnlyList<string> Errors)> rebuild) => _ =>
    {
        var (options, errors) = rebuild();
        if (options is null)
        {
            return (false, $"config: {errors.Count} errors, nothing changes: {string.Join("; ", errors)}");
        }

        var changed = Describe(running).Where(kv => Describe(options)[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
        return changed.Count == 0
            ? (true, "config: valid, unchanged")
            : (true, $"config: valid; {string.Join(", ", changed)} changed and take effect on a restart (--handoff: README, \"Restart without dropping a connection\")");
    };

    private static Dictionary<string, string> Describe(EdgeOptions o) => new(StringComparer.Ordinal)
    {
        ["listen"] = string.Join(",", o.Listeners.Select(l => $"{l.Service}@{l.EndPoint}")),
        ["route"] = string.Join(",", o.Routes.Select(r => $"{r.Service}={string.Join(",", r.Targets.Select(t => $"{t};{t.Weight}"))}")),
        ["connect-timeout"] = o.ConnectTimeout.ToString(),
        ["idle-timeout"] = o.IdleTimeout.ToString(),
        ["max-connections"] = o.MaxConnections.ToString(CultureInfo.InvariantCulture),
        ["drain-timeout"] = o.DrainTimeout.ToString(),
        ["buffer-size"] = o.BufferBytes.ToString(CultureInfo.InvariantCulture),
        ["backlog"] = o.Backlog.ToString(CultureInfo.InvariantCulture),
        ["policy"] = o.PolicyFile ?? "",
        ["conn-rate"] = o.ConnectionRate?.ToString() ?? "",
        ["bandwidth"] = o.Bandwidth?.ToString() ?? "",
        ["discovery"] = string.Join(",", o.Discovery.Endpoints.Select(e => $"{e.Service}={e.Url}")) + $"|{o.Discovery.Ttl}|{o.Discovery.Timeout}|{o.Discovery.CacheSize}",
        ["dns"] = string.Join(",", o.Dns.Servers) + $"|{o.Dns.MinTtl}|{o.Dns.MaxTtl}",
        ["admin"] = o.Admin?.ToString() ?? "off",
        ["handoff"] = o.HandoffPath ?? "",
        ["log"] = o.Log.ToString(),
        ["tunnel"] = o.Tunnel is not { } t ? "" : string.Join(";", t.Gateways.Select(g => g.ToString()))
            + $"|{t.Identity.KeyFile}|{string.Join(",", t.Identity.PeerKeys.Select(Convert.ToBase64String))}|{t.Identity.CaFile}|{string.Join(",", t.Identity.CrlFiles)}|{t.Identity.CertificateFile}"
            + $"|{t.Keepalive}|{t.KeepaliveTimeout}|{t.KeepaliveRequests}|{t.Prewarm}|{t.ConnectTimeout}|{t.Session}",
    };
}
