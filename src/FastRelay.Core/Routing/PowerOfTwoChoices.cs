namespace FastRelay.Routing;

/// <summary>
/// The sampling step of power-of-two-choices (Mitzenmacher, "The Power of Two Choices in Randomized Load
/// Balancing", 2001): two distinct candidates at random; the caller keeps the less loaded. Against a
/// least-loaded scan it needs no global view and does not herd every new session onto the one backend that
/// just looked idle; against random choice it cuts the maximum load from log n / log log n to log log n.
/// </summary>
public static class PowerOfTwoChoices
{
    /// <summary>
    /// Two distinct positions in <c>[0, count)</c> (for <paramref name="count"/> 1, both are 0).
    /// <paramref name="random"/> must be safe for the caller's threads (<c>Random.Shared</c> is).
    /// </summary>
    public static (int First, int Second) Sample(int count, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(random);
        if (count == 1)
        {
            return (0, 0);
        }

        var first = random.Next(count);
        var second = random.Next(count - 1);
        return (first, second >= first ? second + 1 : second);
    }
}
