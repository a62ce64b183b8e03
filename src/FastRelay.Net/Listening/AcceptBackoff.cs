namespace FastRelay.Listening;

/// <summary>
/// The wait after a failed accept: 5 ms, doubling to at most 1 s, back to zero after a success
/// (ghostunnel's acceptBackoff, Go's net/http Server.Serve). Keeps an accept loop from spinning on
/// persistent errors such as running out of file descriptors. Not thread-safe: one per accept loop.
/// </summary>
internal struct AcceptBackoff
{
    /// <summary>The first wait.</summary>
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest wait.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(1);

    private TimeSpan _current;

    /// <summary>The wait to apply after one more failure.</summary>
    public TimeSpan NextDelay()
    {
        _current = _current == TimeSpan.Zero ? Initial : TimeSpan.FromTicks(Math.Min(_current.Ticks * 2, Max.Ticks));
        return _current;
    }

    /// <summary>A success: the next failure starts from <see cref="Initial"/> again.</summary>
    public void Reset() => _current = TimeSpan.Zero;
}
