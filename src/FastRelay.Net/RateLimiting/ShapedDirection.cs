using FastRelay.Relaying;

namespace FastRelay.RateLimiting;

/// <summary>One direction of one connection paced by <c>--bandwidth</c>: a <see cref="BandwidthShaper"/> as the relay's throttle.</summary>
internal sealed class ShapedDirection(BandwidthOptions options, TimeProvider time) : IByteThrottle
{
    private readonly BandwidthShaper _shaper = new(options, time);

    /// <inheritdoc />
    /// <remarks>
    /// 50 ms of the rate, 1 byte to 64 KiB (one pump read). Each piece then waits at most about 50 ms for its turn,
    /// so bytes leave as a steady stream, the idle clock moves with them (a transfer within its rate is never idle),
    /// and a close is never held up long; at most 20 timer wake-ups a second per direction below 1.3 MB/s.
    /// </remarks>
    public int ChunkBytes { get; } = (int)Math.Clamp(options.BytesPerSecond / 20, 1, 64 * 1024);

    /// <inheritdoc />
    public ValueTask WaitAsync(int bytes)
    {
        var wait = _shaper.Reserve(bytes);
        return wait <= TimeSpan.Zero ? default : new ValueTask(Task.Delay(wait, time));
    }
}
