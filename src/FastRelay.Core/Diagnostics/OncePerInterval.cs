namespace FastRelay.Diagnostics;

/// <summary>
/// Lets one caller through per interval: for warnings that a flood would otherwise repeat thousands of
/// times a second (refusals at the connection limit, accept failures when out of descriptors). The rest
/// go to Debug. Lock-free and allocation-free; thread-safe.
/// </summary>
public sealed class OncePerInterval(TimeProvider time, TimeSpan interval)
{
    private long _last = long.MinValue;

    /// <summary>True for the first call in each interval.</summary>
    public bool TryEnter()
    {
        var now = time.GetTimestamp();
        var last = Volatile.Read(ref _last);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < interval)
        {
            return false;
        }

        // Only the caller that moves the mark wins; the others this instant stay quiet.
        return Interlocked.CompareExchange(ref _last, now, last) == last;
    }
}
