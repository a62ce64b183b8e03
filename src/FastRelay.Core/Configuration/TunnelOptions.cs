namespace FastRelay.Configuration;

/// <summary>
/// How this node authenticates itself and its tunnel peers (tunnel.md §4.2): its static X25519 key, and
/// either pinned peer keys (<c>--gateway-key</c> at the edge, <c>--edge-key</c> at the gateway) or the
/// enterprise CA that signs the peers' certificates binding their static keys (<c>--tunnel-ca</c>).
/// </summary>
/// <remarks>Core does not read the files: the exe loads them at start (a bad file is a config error, exit 2).</remarks>
public sealed record TunnelIdentityOptions
{
    /// <summary>This node's static private key, as written by <c>fastrelay keygen</c>.</summary>
    public required string KeyFile { get; init; }

    /// <summary>Pinned public keys of the peers (32 bytes each); empty in CA mode.</summary>
    public IReadOnlyList<byte[]> PeerKeys { get; init; } = [];

    /// <summary>The enterprise CA bundle (PEM) the peers' certificates chain to; null in pinned mode.</summary>
    public string? CaFile { get; init; }

    /// <summary>CRL files (PEM or DER) issued by a CA of <see cref="CaFile"/>: a peer certificate they list is refused, at the handshake and at each rekey; CA mode only.</summary>
    public IReadOnlyList<string> CrlFiles { get; init; } = [];

    /// <summary>This node's certificate (PEM) binding its static key, in CA mode.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>The private key of <see cref="CertificateFile"/> (PEM), in CA mode.</summary>
    public string? CertificateKeyFile { get; init; }
}

/// <summary>
/// What each side announces for its tunnel connections (the settings TLV, tunnel.md §4.2) and uses itself:
/// streams per connection, keepalive pings, rekeys.
/// </summary>
public sealed record TunnelSessionOptions
{
    /// <summary>Default for <see cref="MaxStreams"/>: 256 streams x 256 KiB windows = the 64 MiB receive budget (tunnel.md §4.6).</summary>
    public const int DefaultMaxStreams = 256;

    /// <summary>Default for <see cref="PingInterval"/> (tunnel.md §4.7).</summary>
    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromSeconds(1);

    /// <summary>The shortest <see cref="PingInterval"/>: the design's fast mode; below it TCP's 200 ms RTO makes links flap.</summary>
    public static readonly TimeSpan MinPingInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Default for <see cref="RekeyInterval"/> (tunnel.md §4.8).</summary>
    public static readonly TimeSpan DefaultRekeyInterval = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The longest <see cref="RekeyInterval"/>: 24 hours, as tunnel.md's config validation says and as the settings
    /// record carries it (rekey_interval_s 1..86400); an epoch is then never older than the 72-hour max epoch age.
    /// </summary>
    public static readonly TimeSpan MaxRekeyInterval = TimeSpan.FromHours(24);

    /// <summary>Streams one tunnel connection carries at once; more are refused (REFUSED_STREAM) and the pool grows.</summary>
    /// <remarks>Defaults to 256.</remarks>
    public int MaxStreams { get; init; } = DefaultMaxStreams;

    /// <summary>How often a PING is sent; the connection is dead after 3 intervals with nothing received.</summary>
    /// <remarks>Defaults to 1s; at least 100ms.</remarks>
    public TimeSpan PingInterval { get; init; } = DefaultPingInterval;

    /// <summary>Epoch age that triggers an in-band KK rekey (driven by the edge; the gateway closes epochs older than 2x + 30 s).</summary>
    /// <remarks>Defaults to 120s; at most 24h (<see cref="MaxRekeyInterval"/>).</remarks>
    public TimeSpan RekeyInterval { get; init; } = DefaultRekeyInterval;
}

/// <summary>The edge's tunnel: the gateways, its identity, the keep-alive pool's sizing.</summary>
public sealed record EdgeTunnelOptions
{
    /// <summary>Default for <see cref="Keepalive"/> (cli.md).</summary>
    public const int DefaultKeepalive = 32;

    /// <summary>Default for <see cref="KeepaliveTimeout"/> (cli.md; nginx's keepalive_timeout).</summary>
    public static readonly TimeSpan DefaultKeepaliveTimeout = TimeSpan.FromSeconds(75);

    /// <summary>Default for <see cref="KeepaliveRequests"/> (cli.md; nginx's keepalive_requests).</summary>
    public const int DefaultKeepaliveRequests = 100;

    /// <summary>Default for <see cref="Prewarm"/>: the design's pool of 2-4 per exit (tunnel.md §3).</summary>
    public const int DefaultPrewarm = 2;

    /// <summary>Default for <see cref="ConnectTimeout"/>: TCP connect plus the XX handshake to one gateway.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The exit nodes, all active: new streams are spread across them.</summary>
    public required IReadOnlyList<GatewayAddress> Gateways { get; init; }

    /// <summary>This node's key and how gateways are authenticated.</summary>
    public required TunnelIdentityOptions Identity { get; init; }

    /// <summary>Announced settings: streams per connection, ping interval, rekey interval.</summary>
    public TunnelSessionOptions Session { get; init; } = new();

    /// <summary>Idle tunnel connections kept per gateway; idle ones beyond it are closed at once.</summary>
    /// <remarks>Defaults to 32.</remarks>
    public int Keepalive { get; init; } = DefaultKeepalive;

    /// <summary>An idle tunnel connection (no stream) is closed after this long, down to the pre-warmed count.</summary>
    /// <remarks>Defaults to 75s.</remarks>
    public TimeSpan KeepaliveTimeout { get; init; } = DefaultKeepaliveTimeout;

    /// <summary>Streams one tunnel connection carries before it is drained (GOAWAY) and replaced; 0 = no limit.</summary>
    /// <remarks>Defaults to 100.</remarks>
    public int KeepaliveRequests { get; init; } = DefaultKeepaliveRequests;

    /// <summary>Connections dialled per gateway at start and kept ready (never more than <see cref="Keepalive"/>).</summary>
    /// <remarks>Defaults to 2.</remarks>
    public int Prewarm { get; init; } = DefaultPrewarm;

    /// <summary>Time for one tunnel connection: TCP connect plus the Noise handshake.</summary>
    /// <remarks>Defaults to 5s.</remarks>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>The connections the pool keeps ready per gateway: min(<see cref="Prewarm"/>, <see cref="Keepalive"/>).</summary>
    public int WarmConnections => Math.Min(Prewarm, Keepalive);
}

/// <summary>A gateway as configured: a host (IP literal or DNS name, resolved at each dial) and a port.</summary>
public sealed record GatewayAddress(string Host, int Port)
{
    /// <inheritdoc />
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
