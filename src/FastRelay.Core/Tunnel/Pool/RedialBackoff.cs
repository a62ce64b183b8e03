namespace FastRelay.Tunnel.Pool;

/// <summary>
/// Delays between dials to a gateway that keeps failing: exponential from <see cref="Initial"/> to
/// <see cref="Max"/>, with full jitter (AWS architecture blog, "Exponential Backoff And Jitter") so that many
/// edges whose gateway restarted do not all redial in the same instant.
/// </summary>
/// <remarks>Not thread-safe: one per gateway, used by its maintenance loop. The random source is injected (tests).</remarks>
public sealed class RedialBackoff(Random random)
{
    /// <summary>The first delay's upper bound.</summary>
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);

    /// <summary>The cap: a gateway that comes back is found within this long.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    private int _failures;

    /// <summary>Failures in a row since the last success.</summary>
    public int Failures => _failures;

    /// <summary>Records a failure and returns how long to wait before the next dial: uniform in [cap/2, cap].</summary>
    public TimeSpan NextDelay()
    {
        _failures = Math.Min(_failures + 1, 30);
        var cap = Math.Min(Max.Ticks, Initial.Ticks << Math.Min(_failures - 1, 20));

        // Half fixed, half random ("equal jitter"): never a zero delay that would spin on a dead gateway.
        return TimeSpan.FromTicks((cap / 2) + (long)(random.NextDouble() * (cap / 2)));
    }

    /// <summary>A dial succeeded: the next failure starts from <see cref="Initial"/> again.</summary>
    public void Reset() => _failures = 0;
}
