namespace FastRelay.Routing;

/// <summary>
/// An exponentially weighted moving average of a latency, updated lock-free: the picker's tie-breaker
/// (connect time of a backend, OPEN→OPEN_OK time of a gateway).
/// </summary>
/// <remarks>
/// Each sample moves the average by <see cref="Alpha"/> of the difference (Finagle's and linkerd's peak-EWMA
/// use a time-decayed weight; a fixed 0.3 forgets a slow spell within about ten connects, which is what a
/// tie-breaker needs). The first sample is taken as is. Thread-safe: a CAS loop on the value's bits.
/// </remarks>
public sealed class LatencyEwma
{
    /// <summary>The weight of the newest sample.</summary>
    public const double Alpha = 0.3;

    private long _bits = BitConverter.DoubleToInt64Bits(double.NaN);

    /// <summary>The average in milliseconds; 0 before the first sample (an unmeasured backend is tried first).</summary>
    public double Milliseconds
    {
        get
        {
            var value = BitConverter.Int64BitsToDouble(Volatile.Read(ref _bits));
            return double.IsNaN(value) ? 0 : value;
        }
    }

    /// <summary>True once a sample was added.</summary>
    public bool HasSample => !double.IsNaN(BitConverter.Int64BitsToDouble(Volatile.Read(ref _bits)));

    /// <summary>Adds one sample.</summary>
    public void Add(TimeSpan sample)
    {
        var value = Math.Max(0, sample.TotalMilliseconds);
        while (true)
        {
            var seen = Volatile.Read(ref _bits);
            var old = BitConverter.Int64BitsToDouble(seen);
            var next = double.IsNaN(old) ? value : old + (Alpha * (value - old));
            if (Interlocked.CompareExchange(ref _bits, BitConverter.DoubleToInt64Bits(next), seen) == seen)
            {
                return;
            }
        }
    }
}
