namespace FastRelay.Relaying;

/// <summary>Which way bytes move through a relay.</summary>
public enum RelayDirection
{
    /// <summary>From the client to the upstream.</summary>
    ClientToUpstream,

    /// <summary>From the upstream to the client.</summary>
    UpstreamToClient,
}

/// <summary>Observes bytes moving through a <see cref="PipePump"/>; called once per chunk, must not block.</summary>
public interface IPumpProgress
{
    /// <summary>
    /// Called after <paramref name="bytes"/> were written to the destination pipe and before they are flushed;
    /// the pump awaits the result before flushing, which is how shaping holds bytes back (a completed
    /// <see cref="ValueTask"/> when nothing is shaped: no allocation).
    /// </summary>
    ValueTask OnTransferred(RelayDirection direction, long bytes);
}

/// <summary>Paces one direction of a relay (<c>--bandwidth</c>): how long to hold bytes before sending them.</summary>
public interface IByteThrottle
{
    /// <summary>Books <paramref name="bytes"/> and returns how long to wait before sending them (zero within the burst). Thread-safe.</summary>
    TimeSpan Reserve(int bytes);
}
