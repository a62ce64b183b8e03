using System.Globalization;
using FastRelay.Configuration;

namespace FastRelay.Hosting;

/// <summary>
/// The config part of a reload (POST /reload, SIGHUP): the flags and <c>--config</c> file are read and
/// validated again, and the settings that differ from the running ones are named. The routes' targets and
/// weights are swapped in (<paramref name="applyRoutes"/>); nothing else changes a running edge (listeners
/// are sockets); the rest takes effect with a restart through <c>--handoff</c>, which this step says. The
/// policy file's contents are the policy step's business.
/// </summary>
internal static class ConfigChanges
{
    /// <summary>A reload step over <paramref name="rebuild"/> (the command line's own parser) against <paramref name="running"/>.</summary>
    /// <param name="running">The options the edge started with.</param>
    /// <param name="rebuild">The command line's own parser.</param>
    /// <param name="applyRoutes">Installs the new options' routes (the route table's swap); null when routes take a restart too.</param>
    public static Func<string, (bool Succeeded, string Message)> Step(EdgeOptions running, Func<(EdgeOptions? Options, IReadOnlyList<string> Errors)> rebuild,
        Func<EdgeOptions, (bool Succeeded, bool Changed, string Message)>? applyRoutes = null) => _ =>
    {
        var (options, errors) = rebuild();
        if (options is null)
        {
            return (false, $"config: {errors.Count} error{(errors.Count == 1 ? "" : "s")}, nothing changes (the running routes stay): {string.Join("; ", errors)}");
        }

        var routes = applyRoutes?.Invoke(options);
        var now = Describe(options);
        var changed = Describe(running).Where(kv => now[kv.Key] != kv.Value && !(kv.Key == "route" && routes is not null)).Select(kv => kv.Key).ToList();
        if ((running.Tls is null) != (options.Tls is null))
        {
            // TLS switched on or off: tls-cert says so; its settings' defaults appearing or going are no change of the user's.
            changed.RemoveAll(key => key is "tls-handshake-timeout" or "ocsp-staple");
        }

        var message = changed.Count > 0
            ? $"config: valid; {string.Join(", ", changed)} changed and take effect on a restart (--handoff: README, \"Restart without dropping a connection\")"
            : routes is { Changed: true } or { Succeeded: false } ? "config: valid" : "config: valid, unchanged";
        return routes is { } applied && (applied.Changed || !applied.Succeeded) ? (applied.Succeeded, $"{message}; {applied.Message}") : (true, message);
    };

    private static Dictionary<string, string> Describe(EdgeOptions o) => With(Tunnel(o.Tunnel?.Identity, o.Tunnel?.Session), new(StringComparer.Ordinal)
    {
        ["listen"] = string.Join(",", o.Listeners.Select(l => $"{l.Service}@{l.EndPoint}")),
        ["route"] = string.Join(",", o.Routes.Select(r => $"{r.Service}={string.Join(",", r.Targets.Select(t => $"{t};{t.Weight}"))}")),
        ["connect-timeout"] = o.ConnectTimeout.ToString(),
        ["retries"] = o.Retries.ToString(CultureInfo.InvariantCulture),
        ["idle-timeout"] = o.IdleTimeout.ToString(),
        ["max-connections"] = o.MaxConnections.ToString(CultureInfo.InvariantCulture),
        ["max-connections-per-source"] = o.MaxConnectionsPerSource.ToString(CultureInfo.InvariantCulture),
        ["drain-timeout"] = o.DrainTimeout.ToString(),
        ["buffer-size"] = o.BufferBytes.ToString(CultureInfo.InvariantCulture),
        ["data-path"] = o.DataPath.ToString(),
        ["splice"] = o.Splice.ToString(),
        ["backlog"] = o.Backlog.ToString(CultureInfo.InvariantCulture),
        ["policy"] = o.PolicyFile ?? "",
        ["recheck-established"] = o.RecheckEstablished ? "true" : "false",
        ["conn-rate"] = o.ConnectionRate?.ToString() ?? "",
        ["bandwidth"] = o.Bandwidth?.ToString() ?? "",
        ["discovery"] = string.Join(",", o.Discovery.Endpoints.Select(e => $"{e.Service}={e.Url}")) + $"|{o.Discovery.Ttl}|{o.Discovery.Timeout}|{o.Discovery.CacheSize}",
        ["dns"] = string.Join(",", o.Dns.Servers) + $"|{o.Dns.MinTtl}|{o.Dns.MaxTtl}",
        ["audit"] = $"{o.Audit.Target}|{o.Audit.Node}|{o.Audit.SpoolDirectory}|{o.Audit.QueueCapacity}|{o.Audit.Overflow}|{o.Audit.FlushTimeout}",

        // The TLS files' contents reload on their own (TlsReloader); which files, and the checks, are flags like the rest.
        ["tls-cert"] = o.Tls?.CertificateFile ?? "",
        ["tls-key"] = o.Tls?.KeyFile ?? "",
        ["client-ca"] = o.Tls?.ClientCaFile ?? "",
        ["tls-handshake-timeout"] = o.Tls?.HandshakeTimeout.ToString() ?? "",
        ["ocsp-staple"] = o.Tls is { } tls ? $"{tls.OcspStaple}|{tls.OcspStapleFile}" : "",
        ["allow-cn"] = string.Join(",", o.Tls?.AllowedCommonNames ?? []),
        ["allow-san"] = string.Join(",", o.Tls?.AllowedSans ?? []),
        ["revocation"] = o.Revocation.Mode.ToString(),
        ["crl"] = string.Join(",", o.Revocation.CrlFiles),
        ["ocsp-timeout"] = o.Revocation.OcspTimeout.ToString(),
        ["admin"] = o.Admin?.ToString() ?? "off",
        ["handoff"] = o.HandoffPath ?? "",
        ["log"] = o.Log.ToString(),
        ["health"] = $"{o.Balancing.HealthCheck}|{o.Balancing.HealthInterval}|{o.Balancing.HealthTimeout}|{o.Balancing.HealthRise}|{o.Balancing.HealthFall}"
            + $"|{Convert.ToHexString(o.Balancing.HealthSend ?? [])}|{Convert.ToHexString(o.Balancing.HealthExpect ?? [])}|{o.Balancing.EjectAfter}|{o.Balancing.EjectTime}",
        ["gateway"] = string.Join(";", o.Tunnel?.Gateways.Select(g => g.ToString()) ?? []),
        ["gateway-key"] = string.Join(",", o.Tunnel?.Identity.PeerKeys.Select(Convert.ToBase64String) ?? []),
        ["keepalive"] = o.Tunnel?.Keepalive.ToString(CultureInfo.InvariantCulture) ?? "",
        ["keepalive-timeout"] = o.Tunnel?.KeepaliveTimeout.ToString() ?? "",
        ["keepalive-requests"] = o.Tunnel?.KeepaliveRequests.ToString(CultureInfo.InvariantCulture) ?? "",
        ["tunnel-prewarm"] = o.Tunnel?.Prewarm.ToString(CultureInfo.InvariantCulture) ?? "",
        ["tunnel-connect-timeout"] = o.Tunnel?.ConnectTimeout.ToString() ?? "",
    });

    /// <summary>
    /// As <see cref="Step"/>, for the gateway: the pinned edge keys are swapped in (<paramref name="applyEdgeKeys"/>:
    /// null when it cannot, in CA mode); every other changed setting takes a restart.
    /// </summary>
    public static Func<string, (bool Succeeded, string Message)> GatewayStep(GatewayOptions running, Func<(GatewayOptions? Options, IReadOnlyList<string> Errors)> rebuild,
        Func<IReadOnlyList<byte[]>, string?>? applyEdgeKeys = null)
    {
        var current = running; // The edge keys in force move on with each reload that installs new ones (reloads run one at a time).
        return _ =>
        {
            var (options, errors) = rebuild();
            if (options is null)
            {
                return (false, $"config: {errors.Count} error{(errors.Count == 1 ? "" : "s")}, nothing changes: {string.Join("; ", errors)}");
            }

            var now = Describe(options);
            var changed = Describe(current).Where(kv => now[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
            string? applied = null;
            if (changed.Contains("edge-key") && options.Identity.PeerKeys.Count > 0 && applyEdgeKeys?.Invoke(options.Identity.PeerKeys) is { } done)
            {
                applied = done;
                changed.Remove("edge-key");
                current = current with { Identity = current.Identity with { PeerKeys = options.Identity.PeerKeys } };
            }

            var message = changed.Count > 0
                ? $"config: valid; {string.Join(", ", changed)} changed and take effect on a restart (the policy file's contents and the CRLs reload on their own)"
                : applied is null ? "config: valid, unchanged" : "config: valid";
            return (true, applied is null ? message : $"{message}; {applied}");
        };
    }

    private static Dictionary<string, string> Describe(GatewayOptions o) => With(Tunnel(o.Identity, o.Session), new(StringComparer.Ordinal)
    {
        ["listen"] = o.Listen.ToString(),
        ["edge-key"] = string.Join(",", o.Identity.PeerKeys.Select(Convert.ToBase64String)),
        ["policy"] = o.PolicyFile ?? "",
        ["recheck-established"] = o.RecheckEstablished ? "true" : "false",
        ["allow-any-target"] = o.AllowAnyTarget ? "true" : "false",
        ["connect-timeout"] = o.ConnectTimeout.ToString(),
        ["max-streams"] = o.MaxStreams.ToString(CultureInfo.InvariantCulture),
        ["max-handshakes"] = o.MaxHandshakes.ToString(CultureInfo.InvariantCulture),
        ["max-handshakes-per-source"] = o.MaxHandshakesPerSource.ToString(CultureInfo.InvariantCulture),
        ["handshake-rate"] = o.HandshakeRate.ToString(),
        ["drain-timeout"] = o.DrainTimeout.ToString(),
        ["node-name"] = o.NodeName ?? "",
        ["audit"] = $"{o.Audit.Target}|{o.Audit.Node}|{o.Audit.SpoolDirectory}|{o.Audit.QueueCapacity}|{o.Audit.Overflow}|{o.Audit.FlushTimeout}",
        ["admin"] = o.Admin?.ToString() ?? "off",
        ["log"] = o.Log.ToString(),
    });

    private static Dictionary<string, string> With(IEnumerable<KeyValuePair<string, string>> more, Dictionary<string, string> settings)
    {
        foreach (var (key, value) in more)
        {
            settings.Add(key, value);
        }

        return settings;
    }

    // The tunnel flags both roles share, one key per flag so a reload names the one that changed.
    private static IEnumerable<KeyValuePair<string, string>> Tunnel(TunnelIdentityOptions? identity, TunnelSessionOptions? session) =>
    [
        new("tunnel-key", identity?.KeyFile ?? ""),
        new("tunnel-ca", identity?.CaFile ?? ""),
        new("tunnel-crl", string.Join(",", identity?.CrlFiles ?? [])),
        new("tunnel-cert", identity?.CertificateFile ?? ""),
        new("tunnel-cert-key", identity?.CertificateKeyFile ?? ""),
        new("tunnel-max-streams", session?.MaxStreams.ToString(CultureInfo.InvariantCulture) ?? ""),
        new("ping-interval", session?.PingInterval.ToString() ?? ""),
        new("rekey-interval", session?.RekeyInterval.ToString() ?? ""),
    ];
}
