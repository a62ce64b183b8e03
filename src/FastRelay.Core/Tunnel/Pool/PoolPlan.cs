namespace FastRelay.Tunnel.Pool;

/// <summary>What one tunnel connection of the pool looks like to the policy, at one instant.</summary>
/// <param name="Usable">Authenticated, alive, and may still open streams (no GOAWAY either way, not spent).</param>
/// <param name="OpenStreams">Streams open now.</param>
/// <param name="HasRoom">A new stream would fit (below max streams and below the request limit).</param>
/// <param name="IdleFor">How long it has had no stream (zero while it has one).</param>
public readonly record struct PooledConnectionView(bool Usable, int OpenStreams, bool HasRoom, TimeSpan IdleFor);

/// <summary>
/// The pool's decisions for one gateway (tunnel.md §3, cli.md): how many connections to dial and which idle ones
/// to close. Pure: the Net pool feeds it views of its connections and carries the plan out.
/// </summary>
public static class PoolPlan
{
    /// <summary>
    /// How many connections to dial now: up to the warm count (pre-warm, and replacing dead, drained and recycled
    /// ones), plus one more when every usable connection is full and no dial is on its way (growth on demand).
    /// <paramref name="sessionWaiting"/> says a session found no room: then a pool with no usable connection at all
    /// (<c>--tunnel-prewarm 0</c>, or every one drained) grows too.
    /// </summary>
    public static int DialsNeeded(ReadOnlySpan<PooledConnectionView> connections, int dialsInFlight, PoolPolicyOptions options, bool sessionWaiting = false)
    {
        var usable = 0;
        var withRoom = 0;
        foreach (var c in connections)
        {
            usable += c.Usable ? 1 : 0;
            withRoom += c.Usable && c.HasRoom ? 1 : 0;
        }

        var deficit = options.Warm - usable - dialsInFlight;
        if (deficit > 0)
        {
            return deficit;
        }

        // Growth: sessions are waiting or would wait. One dial at a time per gateway keeps a burst from
        // opening dozens of connections at once; each one brings max-streams more slots.
        return withRoom == 0 && dialsInFlight == 0 && (usable > 0 || sessionWaiting) ? 1 : 0;
    }

    /// <summary>
    /// Picks the idle connections to close, into <paramref name="reap"/> (indexes into <paramref name="connections"/>),
    /// and returns how many: idle ones beyond <c>--keepalive</c> at once (the longest idle first), then any idle
    /// for <c>--keepalive-timeout</c>, as long as the warm count stays usable.
    /// </summary>
    public static int SelectReaped(ReadOnlySpan<PooledConnectionView> connections, PoolPolicyOptions options, Span<int> reap)
    {
        var usable = 0;
        var idle = 0;
        foreach (var c in connections)
        {
            usable += c.Usable ? 1 : 0;
            idle += c.Usable && c.OpenStreams == 0 ? 1 : 0;
        }

        var count = 0;
        while (count < reap.Length && usable > options.Warm)
        {
            // The longest-idle connection not chosen yet: it is the least likely to be needed soon.
            var pick = -1;
            for (var i = 0; i < connections.Length; i++)
            {
                var c = connections[i];
                if (c.Usable && c.OpenStreams == 0 && !reap[..count].Contains(i) && (pick < 0 || c.IdleFor > connections[pick].IdleFor))
                {
                    pick = i;
                }
            }

            if (pick < 0 || (idle <= options.Keepalive && connections[pick].IdleFor < options.KeepaliveTimeout))
            {
                break;
            }

            reap[count++] = pick;
            usable--;
            idle--;
        }

        return count;
    }
}
