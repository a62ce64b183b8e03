using FastRelay.Tunnel.Handshake;

namespace FastRelay.Tunnel.Session;

/// <summary>
/// The local settings of one tunnel connection (§4.6-§4.9). The values this side announces in the handshake
/// (<see cref="ToSettings"/>) must be the ones it enforces here, so build both from one instance.
/// </summary>
public sealed record TunnelConnectionOptions
{
    /// <summary>Credit each new stream grants the peer, in bytes. <remarks>Defaults to 256 KiB (yamux).</remarks></summary>
    public int InitialWindowBytes { get; init; } = 256 * 1024;

    /// <summary>Streams the peer may hold open at once; more OPENs get RST(REFUSED_STREAM). <remarks>Defaults to 256.</remarks></summary>
    public int MaxStreams { get; init; } = 256;

    /// <summary>Σ(buffered + granted credit) over all streams (§4.6). <remarks>Defaults to 64 MiB.</remarks></summary>
    public long ReceiveBudgetBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How often to PING (≥ 100 ms). <remarks>Defaults to 1 s.</remarks></summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Silent intervals before the peer is declared dead (§4.7). <remarks>Defaults to 3.</remarks></summary>
    public int PingMissLimit { get; init; } = 3;

    /// <summary>Epoch age that triggers a rekey (edge only), ±10 % jitter; at most 24 h. <remarks>Defaults to 120 s.</remarks></summary>
    public TimeSpan RekeyInterval { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Epoch age past which the gateway closes with REKEY_ERROR. <remarks>Defaults to 2 × <see cref="RekeyInterval"/> + 30 s, capped at 72 h.</remarks></summary>
    public TimeSpan? MaxEpochAge { get; init; }

    /// <summary>How long a rekey step may wait for the peer (§4.8). <remarks>Defaults to 10 s.</remarks></summary>
    public TimeSpan RekeyStepTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long streams may finish after GOAWAY before they are reset (§4.9). <remarks>Defaults to 30 s.</remarks></summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest record accepted (and, with the peer's value, sent). <remarks>Defaults to 65535.</remarks></summary>
    public int MaxRecordBytes { get; init; } = 65535;

    /// <summary>TCP_NOTSENT_LOWAT on Linux (§4.6): unsent bytes the kernel holds, so control frames do not queue behind data. <remarks>Defaults to 16 KiB.</remarks></summary>
    public int NotSentLowWaterBytes { get; init; } = 16 * 1024;

    /// <summary>The effective <see cref="MaxEpochAge"/>.</summary>
    public TimeSpan EffectiveMaxEpochAge =>
        MaxEpochAge ?? TimeSpan.FromTicks(Math.Min((2 * RekeyInterval + TimeSpan.FromSeconds(30)).Ticks, TimeSpan.FromHours(72).Ticks));

    /// <summary>The settings this side announces in the handshake (tunnel.md §4.2), matching what it enforces.</summary>
    public TunnelSettings ToSettings() => new(
        MaxRecord: MaxRecordBytes,
        InitialWindow: InitialWindowBytes,
        MaxStreams: MaxStreams,
        PingIntervalMs: (int)PingInterval.TotalMilliseconds,
        PingMissLimit: PingMissLimit,
        RekeyIntervalSeconds: (int)Math.Max(1, Math.Ceiling(RekeyInterval.TotalSeconds)), // Whole seconds on the wire; tests rekey faster.
        MaxEpochAgeSeconds: (int)Math.Ceiling(EffectiveMaxEpochAge.TotalSeconds));

    /// <summary>Every problem with these values, each naming the setting and what is expected (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (InitialWindowBytes is < 1024 or > int.MaxValue / 2)
        {
            errors.Add($"initial window: {InitialWindowBytes} bytes (expected 1 KiB to 1 GiB)");
        }

        if (MaxStreams < 1)
        {
            errors.Add($"max streams: {MaxStreams} (expected ≥ 1)");
        }

        if (ReceiveBudgetBytes < InitialWindowBytes)
        {
            errors.Add($"receive budget: {ReceiveBudgetBytes} bytes (expected ≥ the initial window, {InitialWindowBytes})");
        }

        if (PingInterval < TimeSpan.FromMilliseconds(100) || PingInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"ping interval: {PingInterval.TotalMilliseconds} ms (expected 100 ms to 60 s)");
        }

        if (PingMissLimit is < 1 or > 255)
        {
            errors.Add($"ping miss limit: {PingMissLimit} (expected 1-255)");
        }

        if (RekeyInterval <= TimeSpan.Zero || RekeyInterval > TimeSpan.FromHours(24))
        {
            errors.Add($"rekey interval: {RekeyInterval} (expected more than 0 and at most 24 h)");
        }

        if (EffectiveMaxEpochAge > TimeSpan.FromHours(72) || EffectiveMaxEpochAge <= RekeyInterval)
        {
            errors.Add($"max epoch age: {EffectiveMaxEpochAge} (expected above the rekey interval and at most 72 h)");
        }

        if (MaxRecordBytes is < 2048 or > 65535)
        {
            errors.Add($"max record: {MaxRecordBytes} bytes (expected 2048-65535)");
        }

        return errors;
    }
}
