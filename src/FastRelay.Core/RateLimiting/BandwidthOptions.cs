namespace FastRelay.RateLimiting;

/// <summary>
/// <c>--bandwidth BYTES/s</c>: the rate one direction of a connection is shaped to. Immutable; checked by the
/// <see cref="BandwidthShaper"/> constructor, which throws <see cref="ArgumentOutOfRangeException"/> for a rate
/// or burst below 1.
/// </summary>
/// <param name="BytesPerSecond">The sustained rate.</param>
/// <param name="BurstBytes">Bytes that may go at once after a quiet spell; see <see cref="DefaultBurstBytes"/>.</param>
public sealed record BandwidthOptions(long BytesPerSecond, long BurstBytes)
{
    /// <summary>The least default burst: one full pump read (EdgeOptions.DefaultBufferBytes).</summary>
    public const long MinDefaultBurstBytes = 64 * 1024;

    /// <summary>Options for <paramref name="bytesPerSecond"/> with the default burst.</summary>
    public static BandwidthOptions ForRate(long bytesPerSecond) => new(bytesPerSecond, DefaultBurstBytes(bytesPerSecond));

    /// <summary>
    /// 100 ms of traffic, at least <see cref="MinDefaultBurstBytes"/>. Why: timers wake late by about a
    /// millisecond, and a burst of many timer periods absorbs that lateness, so the shaped rate holds; a
    /// burst of at least one read lets a quiet connection's next read go out at once.
    /// </summary>
    public static long DefaultBurstBytes(long bytesPerSecond) => Math.Max(MinDefaultBurstBytes, bytesPerSecond / 10);
}
