using System.Globalization;
using FastRelay.RateLimiting;
using Microsoft.Extensions.Logging;

namespace FastRelay.Configuration;

/// <summary>
/// Turns the raw settings of <c>fastrelay gateway</c> into <see cref="GatewayOptions"/>, collecting every error
/// before failing (like <see cref="EdgeOptionsReader"/>).
/// </summary>
/// <remarks>Pure: no files, no sockets. Thread-safe.</remarks>
public static class GatewayOptionsReader
{
    /// <summary>The setting names this reader knows, as written after <c>--</c>.</summary>
    public static readonly IReadOnlySet<string> KnownNames = new HashSet<string>(
    [
        "listen", "edge-key", "policy", "recheck-established", "allow-any-target", "connect-timeout", "max-streams", "max-handshakes", "max-handshakes-per-source", "handshake-rate", "handshake-burst",
        "drain-timeout", "admin", "node-name", "log-format", "log-level",
        .. TunnelReader.SharedNames, .. AuditReader.Names,
    ], StringComparer.Ordinal);

    private static readonly string[] Repeatable = ["edge-key", "tunnel-crl"];

    /// <summary>Reads <paramref name="settings"/>.</summary>
    /// <exception cref="ConfigException">Anything is wrong; every problem is listed.</exception>
    public static GatewayOptions Read(IReadOnlyList<RawSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<ConfigError>();
        EdgeOptionsReader.CheckNamesAndRepeats(settings, errors, KnownNames, Repeatable);
        var scalars = new ScalarReader(settings, errors);

        System.Net.IPEndPoint? listen = null;
        if (scalars.Find("listen") is not { } l)
        {
            errors.Add(new ConfigError("--listen", null, "the address edges connect to is required: --listen ADDR:PORT"));
        }
        else if (!EndPointSyntax.TryParseIPEndPoint(l.Value, out listen, out var error))
        {
            errors.Add(new ConfigError(l.Origin, l.Value, $"expected ADDR:PORT: {error}"));
        }

        var identity = TunnelReader.ReadIdentity(settings, scalars, "edge-key", errors);
        var allowAny = scalars.Switch("allow-any-target");
        var policy = scalars.Text("policy");
        if (policy is null && !allowAny)
        {
            // An exit that dials whatever an authenticated edge names reaches everything behind it (SSRF,
            // tunnel.md §4.5): the user must say which targets, or say "any" in so many words.
            errors.Add(new ConfigError("--policy", null,
                "a gateway needs Outbound rules for the targets it may dial: --policy FILE (or --allow-any-target to dial anything, which lets every authenticated edge reach every address this host can)"));
        }
        else if (policy is not null && allowAny)
        {
            errors.Add(new ConfigError("--allow-any-target", "true", "--allow-any-target and --policy are mutually exclusive: the policy's Outbound rules decide"));
        }

        var recheckEstablished = scalars.Switch("recheck-established"); // Read once: a bad value is one error.
        var nodeName = scalars.Find("node-name");
        if (nodeName is not null && !NodeNameSyntax.FitsHandshake(nodeName.Value))
        {
            errors.Add(new ConfigError(nodeName.Origin, nodeName.Value, NodeNameSyntax.ExpectedInHandshake)); // Else every edge refuses the handshake.
        }

        var options = new GatewayOptions
        {
            Listen = listen ?? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            Identity = identity ?? new TunnelIdentityOptions { KeyFile = "" },
            Session = TunnelReader.ReadSession(scalars, errors),
            PolicyFile = policy,
            RecheckEstablished = recheckEstablished,
            AllowAnyTarget = allowAny,
            ConnectTimeout = scalars.Duration("connect-timeout", EdgeOptions.DefaultConnectTimeout, allowZero: false),
            MaxStreams = (int)scalars.Integer("max-streams", GatewayOptions.DefaultMaxStreams, 0, 1_000_000),
            MaxHandshakes = (int)scalars.Integer("max-handshakes", GatewayOptions.DefaultMaxHandshakes, 1, 100_000),
            MaxHandshakesPerSource = (int)scalars.Integer("max-handshakes-per-source", GatewayOptions.DefaultMaxHandshakesPerSource, 0, 100_000),
            HandshakeRate = ReadHandshakeRate(scalars, errors),
            DrainTimeout = scalars.Duration("drain-timeout", EdgeOptions.DefaultDrainTimeout, allowZero: true),
            Audit = AuditReader.Read(scalars, errors, GatewayOptions.DefaultAudit),
            Admin = EdgeOptionsReader.ReadAdmin(scalars, errors, GatewayOptions.DefaultAdmin),
            NodeName = nodeName is not null && NodeNameSyntax.FitsHandshake(nodeName.Value) ? nodeName.Value : null,
            Log = new LogOptions(scalars.Enum("log-format", LogFormat.Text), scalars.Enum("log-level", LogLevel.Information)),
            Ignored = policy is null && recheckEstablished ? [EdgeOptionsReader.RecheckWithoutRules(scalars, "--policy (with --allow-any-target every target stays allowed)")] : [],
        };

        if (listen is not null)
        {
            EdgeOptionsReader.CheckAdminApart(scalars, options.Admin, [(listen, $"--listen {listen}")], errors);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return options;
    }

    private static TokenBucketOptions ReadHandshakeRate(ScalarReader scalars, List<ConfigError> errors)
    {
        var rate = scalars.Find("handshake-rate");
        var burst = scalars.Find("handshake-burst");
        var perSecond = GatewayOptions.DefaultHandshakeRate.RefillPerSecond;
        if (rate is not null && (!RateSyntax.TryParseRate(rate.Value, out perSecond) || !double.IsFinite(perSecond) || perSecond <= 0))
        {
            errors.Add(new ConfigError(rate.Origin, rate.Value, $"expected {RateSyntax.RateExpected}, greater than zero"));
            perSecond = GatewayOptions.DefaultHandshakeRate.RefillPerSecond;
        }

        var burstCount = rate is null ? GatewayOptions.DefaultHandshakeRate.Burst : Math.Max(1, TokenBucketOptions.DefaultBurst(perSecond) * 2);
        if (burst is not null && (!long.TryParse(burst.Value, NumberStyles.None, CultureInfo.InvariantCulture, out burstCount) || burstCount is < 1 or > 1_000_000))
        {
            errors.Add(new ConfigError(burst.Origin, burst.Value, "expected a whole number of handshakes from 1 to 1000000"));
            burstCount = GatewayOptions.DefaultHandshakeRate.Burst;
        }

        if (!TokenBucketOptions.RefillsInTime(perSecond, burstCount))
        {
            errors.Add(RateLimitReader.RefillTooSlow(burst ?? rate!, burst is not null, burstCount, "handshakes"));
            return GatewayOptions.DefaultHandshakeRate;
        }

        return new TokenBucketOptions(perSecond, burstCount);
    }
}
