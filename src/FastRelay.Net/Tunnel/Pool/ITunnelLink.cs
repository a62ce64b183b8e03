using FastRelay.Relaying;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// One authenticated tunnel connection as the pool sees it: the seam between the pool's policy and the session
/// (<see cref="Session.TunnelConnection"/> in production, a fake in the pool's tests).
/// </summary>
/// <remarks>Contract: thread-safe; <see cref="OpenStreamAsync"/> never throws for protocol or network outcomes.</remarks>
internal interface ITunnelLink : IAsyncDisposable
{
    /// <summary>False after a GOAWAY either way, once dead, or when stream ids run out.</summary>
    bool CanOpenStreams { get; }

    /// <summary>Completes, never faulted, when the connection is closed (dead, drained, or disposed); the result is the close reason.</summary>
    Task<string> Completion { get; }

    /// <summary>The last keepalive round trip, when one was measured.</summary>
    TimeSpan? LastPingRtt { get; }

    /// <summary>The key epoch (0 after the handshake, +1 per rekey).</summary>
    uint Epoch { get; }

    /// <summary>Sends OPEN and waits for OPEN_OK or RST.</summary>
    ValueTask<TunnelLinkOpen> OpenStreamAsync(TunnelTarget target, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Stops new streams (GOAWAY); the connection closes when its streams have finished.</summary>
    void GoAway(TunnelErrorCode code, string? debug);
}

/// <summary>The outcome of one OPEN: a connected stream, or the gateway's (or the connection's) error.</summary>
/// <param name="Stream">The stream, relayed like a socket; null on failure.</param>
/// <param name="Error">The RST code (or <see cref="TunnelErrorCode.Cancel"/>/<see cref="TunnelErrorCode.Timeout"/> locally).</param>
/// <param name="Retryable">True when the target was never dialled (REFUSED_STREAM, or the connection went away first): safe on another connection.</param>
internal readonly record struct TunnelLinkOpen(IPipeConnection? Stream, TunnelErrorCode Error, bool Retryable);

/// <summary>Dials one gateway: TCP connect plus the Noise XX handshake, bounded by the timeout.</summary>
internal interface ITunnelLinkDialer
{
    /// <summary>A ready link, or <see cref="TunnelDialException"/> with the reason (refused, timed out, identity rejected, …).</summary>
    ValueTask<ITunnelLink> DialAsync(Configuration.GatewayAddress gateway, CancellationToken cancellationToken);
}

/// <summary>A gateway could not be dialled or did not authenticate; the message is the logged reason.</summary>
internal sealed class TunnelDialException(string message, Exception? inner = null) : Exception(message, inner);
