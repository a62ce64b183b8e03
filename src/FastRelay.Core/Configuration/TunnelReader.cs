namespace FastRelay.Configuration;

/// <summary>
/// Reads the tunnel flags shared by the edge and the gateway (identity, streams, pings, rekeys) and the edge's
/// pool flags (<c>--gateway</c>, <c>--keepalive*</c>), adding an error for each bad value.
/// </summary>
internal static class TunnelReader
{
    /// <summary>Flags both roles take: the node's key, the CA mode, and the announced session settings.</summary>
    public static readonly string[] SharedNames =
        ["tunnel-key", "tunnel-ca", "tunnel-crl", "tunnel-cert", "tunnel-cert-key", "tunnel-max-streams", "ping-interval", "rekey-interval"];

    /// <summary>Flags only the edge takes.</summary>
    public static readonly string[] EdgeNames =
        ["gateway", "gateway-key", "keepalive", "keepalive-timeout", "keepalive-requests", "tunnel-prewarm", "tunnel-connect-timeout"];

    /// <summary>
    /// The edge's tunnel, or null when no tunnel flag is given. <paramref name="tunnelRoutes"/> names the routes
    /// with a <c>tunnel:</c> target: they need at least one <c>--gateway</c>.
    /// </summary>
    /// <remarks>
    /// Tunnel flags with no <c>--gateway</c> and no <c>tunnel:</c> route have nothing to tune: the counts and durations
    /// are still checked (key and CA flags are not read), then every one is listed in <paramref name="ignored"/>
    /// (logged as warnings at start) and the edge runs without a tunnel, as nginx takes <c>keepalive</c> settings for
    /// an upstream no location uses. A shared unit file or config with the cli.md defaults
    /// (<c>--keepalive 32 --keepalive-timeout 75s</c>) then starts on every edge.
    /// </remarks>
    public static EdgeTunnelOptions? ReadEdge(IReadOnlyList<RawSetting> settings, ScalarReader scalars, IReadOnlyList<string> tunnelRoutes, List<ConfigError> errors, List<ConfigError> ignored)
    {
        var given = settings.Where(s => EdgeNames.Contains(s.Name) || SharedNames.Contains(s.Name)).ToList();
        var gateways = ReadGateways(settings, errors);
        if (given.Count == 0 && tunnelRoutes.Count == 0)
        {
            return null;
        }

        var noGateway = !settings.Any(s => s.Name == "gateway");
        if (noGateway && tunnelRoutes.Count == 0)
        {
            _ = ReadPool(scalars, errors, gateways, identity: null);
            ignored.AddRange(given.Select(s => new ConfigError(s.Origin, s.Value, "has no effect without --gateway (no route uses the tunnel); ignored")));
            return null;
        }

        if (noGateway)
        {
            var routes = string.Join(", ", tunnelRoutes.Select(r => $"'{r}'"));
            var why = tunnelRoutes.Count > 1 ? $"routes {routes} have tunnel: targets" : $"route {routes} has tunnel: targets";
            errors.Add(new ConfigError("--gateway", null, $"{why}, which need at least one gateway: add --gateway ADDR:PORT"));
        }

        return ReadPool(scalars, errors, gateways, ReadIdentity(settings, scalars, "gateway-key", errors));
    }

    private static EdgeTunnelOptions ReadPool(ScalarReader scalars, List<ConfigError> errors, IReadOnlyList<GatewayAddress> gateways, TunnelIdentityOptions? identity) => new()
    {
        Gateways = gateways,
        Identity = identity ?? new TunnelIdentityOptions { KeyFile = "" },
        Session = ReadSession(scalars, errors),
        Keepalive = (int)scalars.Integer("keepalive", EdgeTunnelOptions.DefaultKeepalive, 1, 10_000),
        KeepaliveTimeout = scalars.Duration("keepalive-timeout", EdgeTunnelOptions.DefaultKeepaliveTimeout, allowZero: false),
        KeepaliveRequests = (int)scalars.Integer("keepalive-requests", EdgeTunnelOptions.DefaultKeepaliveRequests, 0, 1_000_000_000),
        Prewarm = (int)scalars.Integer("tunnel-prewarm", EdgeTunnelOptions.DefaultPrewarm, 0, 64),
        ConnectTimeout = scalars.Duration("tunnel-connect-timeout", EdgeTunnelOptions.DefaultConnectTimeout, allowZero: false),
    };

    /// <summary>
    /// The identity flags read alone, for when other flags are bad: the tunnel's files can still be checked (cli.md:
    /// every error at once). Null when these flags have problems of their own (the full read lists them).
    /// </summary>
    public static TunnelIdentityOptions? ReadIdentityAlone(IReadOnlyList<RawSetting> settings, string peerKeyFlag)
    {
        var errors = new List<ConfigError>();
        var identity = ReadIdentity(settings, new ScalarReader(settings, errors), peerKeyFlag, errors);
        return errors.Count == 0 ? identity : null;
    }

    /// <summary>
    /// The node key and the peer authentication: <c>--tunnel-key</c> is required, and exactly one of the pinned
    /// keys (<paramref name="peerKeyFlag"/>) or <c>--tunnel-ca</c> (with this node's <c>--tunnel-cert</c> and
    /// <c>--tunnel-cert-key</c>, and any <c>--tunnel-crl</c>). Null (with errors) when something is missing.
    /// </summary>
    public static TunnelIdentityOptions? ReadIdentity(IReadOnlyList<RawSetting> settings, ScalarReader scalars, string peerKeyFlag, List<ConfigError> errors)
    {
        var ok = true;
        var keyFile = scalars.Text("tunnel-key");
        if (keyFile is null)
        {
            errors.Add(new ConfigError("--tunnel-key", null, "this node's static key is required: create one with fastrelay keygen --out FILE"));
            ok = false;
        }

        var keys = new List<byte[]>();
        foreach (var s in settings.Where(s => s.Name == peerKeyFlag))
        {
            if (!TunnelKeySyntax.TryParsePublicKey(s.Value, out var key, out var error))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, error));
                ok = false;
            }
            else if (keys.Any(k => k.AsSpan().SequenceEqual(key)))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "this key is already listed"));
            }
            else
            {
                keys.Add(key!);
            }
        }

        var ca = scalars.Text("tunnel-ca");
        var cert = scalars.Text("tunnel-cert");
        var certKey = scalars.Text("tunnel-cert-key");
        if (ca is null && !settings.Any(s => s.Name == peerKeyFlag))
        {
            errors.Add(new ConfigError($"--{peerKeyFlag}", null, $"peers must be authenticated: give --{peerKeyFlag} BASE64 (repeatable; the public keys fastrelay keygen printed) or --tunnel-ca FILE"));
            ok = false;
        }
        else if (ca is not null && settings.Any(s => s.Name == peerKeyFlag))
        {
            errors.Add(new ConfigError("--tunnel-ca", ca, $"--tunnel-ca and --{peerKeyFlag} are mutually exclusive: pin keys or trust a CA, not both"));
            ok = false;
        }

        if (ca is not null && (cert is null || certKey is null))
        {
            errors.Add(new ConfigError("--tunnel-ca", ca, "CA mode needs this node's certificate too: --tunnel-cert FILE and --tunnel-cert-key FILE"));
            ok = false;
        }
        else if (ca is null && (cert ?? certKey) is not null)
        {
            var which = cert is not null ? "--tunnel-cert" : "--tunnel-cert-key";
            errors.Add(new ConfigError(which, cert ?? certKey, "only used with --tunnel-ca (CA mode); remove it, or add --tunnel-ca FILE"));
            ok = false;
        }

        var crls = new List<string>();
        foreach (var s in settings.Where(s => s.Name == "tunnel-crl"))
        {
            if (ca is null)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "only used with --tunnel-ca (CA mode: the CRLs of the CA that signs the peers' certificates); remove it, or add --tunnel-ca FILE"));
                ok = false;
            }
            else if (s.Value.Length == 0)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "expected a CRL file (PEM or DER)"));
                ok = false;
            }
            else
            {
                crls.Add(s.Value);
            }
        }

        return ok
            ? new TunnelIdentityOptions { KeyFile = keyFile!, PeerKeys = keys, CaFile = ca, CrlFiles = crls, CertificateFile = cert, CertificateKeyFile = certKey }
            : null;
    }

    /// <summary><c>--tunnel-max-streams</c>, <c>--ping-interval</c>, <c>--rekey-interval</c>.</summary>
    public static TunnelSessionOptions ReadSession(ScalarReader scalars, List<ConfigError> errors)
    {
        var ping = scalars.Duration("ping-interval", TunnelSessionOptions.DefaultPingInterval, allowZero: false);
        if (scalars.Find("ping-interval") is { } p && (ping < TunnelSessionOptions.MinPingInterval || ping > TimeSpan.FromMinutes(1)))
        {
            errors.Add(new ConfigError(p.Origin, p.Value, "expected a duration from 100ms (the fast mode: faster flaps on TCP's 200 ms retransmit timer) to 1m"));
            ping = TunnelSessionOptions.DefaultPingInterval;
        }

        var rekey = scalars.Duration("rekey-interval", TunnelSessionOptions.DefaultRekeyInterval, allowZero: false);
        if (scalars.Find("rekey-interval") is { } r && (rekey > TunnelSessionOptions.MaxRekeyInterval || rekey < TimeSpan.FromSeconds(1)))
        {
            errors.Add(new ConfigError(r.Origin, r.Value, rekey > TunnelSessionOptions.MaxRekeyInterval
                ? "the rekey interval may be at most 24h (tunnel.md; the settings record carries 1..86400 s)"
                : "expected a duration from 1s to 24h"));
            rekey = TunnelSessionOptions.DefaultRekeyInterval;
        }

        return new TunnelSessionOptions
        {
            MaxStreams = (int)scalars.Integer("tunnel-max-streams", TunnelSessionOptions.DefaultMaxStreams, 1, 65_536),
            PingInterval = ping,
            RekeyInterval = rekey,
        };
    }

    private static List<GatewayAddress> ReadGateways(IReadOnlyList<RawSetting> settings, List<ConfigError> errors)
    {
        var gateways = new List<GatewayAddress>();
        foreach (var s in settings.Where(s => s.Name == "gateway"))
        {
            if (!EndPointSyntax.TrySplit(s.Value, allowPortZero: false, out var host, out var port, out var error))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, $"expected ADDR:PORT of a gateway: {error}"));
            }
            else if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "the host must be an IP address or a DNS name"));
            }
            else if (gateways.Any(g => string.Equals(g.Host, host, StringComparison.OrdinalIgnoreCase) && g.Port == port))
            {
                errors.Add(new ConfigError(s.Origin, s.Value, "this gateway is already listed"));
            }
            else
            {
                gateways.Add(new GatewayAddress(host, port));
            }
        }

        return gateways;
    }
}
