namespace FastRelay.Diagnostics;

/// <summary>
/// Closed connections counted by <see cref="CloseReason"/>: lock-free, allocation-free, read by tests,
/// the status output and (later) the metrics exporter. Thread-safe.
/// </summary>
public sealed class CloseReasonCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<CloseReason>().Length];

    /// <summary>Counts one connection closed for <paramref name="reason"/>.</summary>
    public void Increment(CloseReason reason) => Interlocked.Increment(ref _counts[(int)reason]);

    /// <summary>Connections closed so far for <paramref name="reason"/>.</summary>
    public long this[CloseReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    /// <summary>Connections closed so far, for any reason.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
            {
                total += Interlocked.Read(ref _counts[i]);
            }

            return total;
        }
    }
}
