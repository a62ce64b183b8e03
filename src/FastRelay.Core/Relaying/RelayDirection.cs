namespace FastRelay.Relaying;

/// <summary>Which way bytes move through a relay.</summary>
public enum RelayDirection
{
    /// <summary>From the client to the upstream.</summary>
    ClientToUpstream,

    /// <summary>From the upstream to the client.</summary>
    UpstreamToClient,
}

/// <summary>Observes bytes moving through a <see cref="PipePump"/>; called once per flush, must not block.</summary>
public interface IPumpProgress
{
    /// <summary>
    /// Called after <paramref name="bytes"/> were written to the destination pipe and flushed (handed on, not merely
    /// read): the byte counts and the idle clock, which must not count bytes a shaper still holds.
    /// </summary>
    void OnTransferred(RelayDirection direction, long bytes);
}

/// <summary>Paces one direction of a relay (<c>--bandwidth</c>): how long to hold bytes before sending them.</summary>
public interface IByteThrottle
{
    /// <summary>
    /// The most bytes the pump books at once. The pump sends a large read in pieces of this size, each when its turn
    /// comes, rather than booking the whole read and holding all of it until the last byte's turn.
    /// </summary>
    int ChunkBytes { get; }

    /// <summary>
    /// Books <paramref name="bytes"/> (at most <see cref="ChunkBytes"/>); completes when they may be sent: at once
    /// (a completed value, no allocation) within the burst. Thread-safe.
    /// </summary>
    ValueTask WaitAsync(int bytes);
}
