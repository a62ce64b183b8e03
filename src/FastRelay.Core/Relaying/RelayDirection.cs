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
    /// <summary>Called after <paramref name="bytes"/> were written to the destination pipe.</summary>
    void OnTransferred(RelayDirection direction, long bytes);
}
