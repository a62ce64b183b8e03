namespace FastRelay.Configuration;

/// <summary>
/// Backend health for the picker (README, "Load balancing and health checks"): active TCP checks of direct
/// targets (<c>--health-*</c>) and passive ejection after consecutive failed connects (<c>--eject-*</c>).
/// </summary>
public sealed record BalancingOptions
{
    /// <summary>Default for <see cref="HealthInterval"/>.</summary>
    public static readonly TimeSpan DefaultHealthInterval = TimeSpan.FromSeconds(2);

    /// <summary>Default for <see cref="HealthTimeout"/>.</summary>
    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Default for <see cref="HealthRise"/> (HAProxy's <c>rise 2</c>).</summary>
    public const int DefaultHealthRise = 2;

    /// <summary>Default for <see cref="HealthFall"/> (HAProxy's <c>fall 3</c>).</summary>
    public const int DefaultHealthFall = 3;

    /// <summary>Default for <see cref="EjectAfter"/>.</summary>
    public const int DefaultEjectAfter = 3;

    /// <summary>Default for <see cref="EjectTime"/> (Envoy's outlier detection base_ejection_time is 30s; a relay's sessions are longer-lived, its retries cheap).</summary>
    public static readonly TimeSpan DefaultEjectTime = TimeSpan.FromSeconds(10);

    /// <summary>The longest ejection, however often a backend is ejected in a row.</summary>
    public static readonly TimeSpan MaxEjectTime = TimeSpan.FromMinutes(5);

    /// <summary>Active checks of direct targets (<c>--health-check tcp|off</c>).</summary>
    /// <remarks>Defaults to off.</remarks>
    public HealthCheckKind HealthCheck { get; init; }

    /// <summary>Time between two checks of one backend (<c>--health-interval</c>).</summary>
    /// <remarks>Defaults to 2s.</remarks>
    public TimeSpan HealthInterval { get; init; } = DefaultHealthInterval;

    /// <summary>Time one check may take: connect, send and expect (<c>--health-timeout</c>).</summary>
    /// <remarks>Defaults to 1s.</remarks>
    public TimeSpan HealthTimeout { get; init; } = DefaultHealthTimeout;

    /// <summary>Consecutive passed checks that bring a down backend up (<c>--health-rise</c>).</summary>
    /// <remarks>Defaults to 2.</remarks>
    public int HealthRise { get; init; } = DefaultHealthRise;

    /// <summary>Consecutive failed checks that take an up backend down (<c>--health-fall</c>).</summary>
    /// <remarks>Defaults to 3.</remarks>
    public int HealthFall { get; init; } = DefaultHealthFall;

    /// <summary>Bytes sent after the check's connect (<c>--health-send</c>, escapes decoded); null sends nothing.</summary>
    /// <remarks>Defaults to none.</remarks>
    public byte[]? HealthSend { get; init; }

    /// <summary>Bytes the reply must contain (<c>--health-expect</c>, escapes decoded); null: a connect is enough.</summary>
    /// <remarks>Defaults to none.</remarks>
    public byte[]? HealthExpect { get; init; }

    /// <summary>Consecutive failed connects that eject a backend (<c>--eject-after</c>); 0 turns ejection off.</summary>
    /// <remarks>Defaults to 3.</remarks>
    public int EjectAfter { get; init; } = DefaultEjectAfter;

    /// <summary>How long the first ejection lasts; each further one in a row doubles it, up to <see cref="MaxEjectTime"/> (<c>--eject-time</c>).</summary>
    /// <remarks>Defaults to 10s.</remarks>
    public TimeSpan EjectTime { get; init; } = DefaultEjectTime;
}

/// <summary>What the active health checker does.</summary>
public enum HealthCheckKind
{
    /// <summary>No active checks: only passive ejection marks a backend down.</summary>
    Off,

    /// <summary>TCP connect (plus the optional send/expect) every interval.</summary>
    Tcp,
}
