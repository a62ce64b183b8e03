using FastRelay.Relaying;

namespace FastRelay.RateLimiting;

/// <summary>One direction of one connection paced by <c>--bandwidth</c>: a <see cref="BandwidthShaper"/> as the relay's throttle.</summary>
internal sealed class ShapedDirection(BandwidthOptions options, TimeProvider time) : IByteThrottle
{
    private readonly BandwidthShaper _shaper = new(options, time);

    /// <inheritdoc />
    public TimeSpan Reserve(int bytes) => _shaper.Reserve(bytes);
}
