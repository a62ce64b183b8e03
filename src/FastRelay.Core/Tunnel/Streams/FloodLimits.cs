namespace FastRelay.Tunnel.Streams;

/// <summary>The flood limits of §4.10 (HTTP/2's DoS classes, CVE-2019-9511…9518 and Rapid Reset CVE-2023-44487).</summary>
/// <param name="PingsPerSecond">More PINGs than this in one second → ENHANCE_YOUR_CALM (4× the peer's announced rate).</param>
/// <param name="ResetsPerSecond">More streams reset by the peer in one second (OPEN then RST) → ENHANCE_YOUR_CALM.</param>
/// <param name="UselessFramesPerSecond">More frames that do nothing (ignored extensions, frames for closed streams) in one second → ENHANCE_YOUR_CALM.</param>
/// <param name="MaxControlQueue">More control frames waiting to be sent (answers the peer provoked) → ENHANCE_YOUR_CALM.</param>
internal sealed record FloodLimits(int PingsPerSecond, int ResetsPerSecond, int UselessFramesPerSecond, int MaxControlQueue)
{
    /// <summary>Limits for a peer that pings every <paramref name="peerPingInterval"/> and may hold <paramref name="maxStreams"/> streams.</summary>
    public static FloodLimits For(TimeSpan peerPingInterval, int maxStreams) => new(
        PingsPerSecond: Math.Max(4, (int)Math.Ceiling(4 * TimeSpan.FromSeconds(1) / peerPingInterval)),
        ResetsPerSecond: Math.Max(1000, 4 * maxStreams),
        UselessFramesPerSecond: 10_000,
        MaxControlQueue: 1024);
}
