using System.Net.Sockets;
using FastRelay.Configuration;

namespace FastRelay.Upstreams;

/// <summary>
/// Opens TCP connections to upstream targets: the seam tests replace with fakes (ghostunnel's DialFunc).
/// </summary>
/// <remarks>
/// Contract: never throws for network outcomes (refused, unreachable, timeout, name not found); those are
/// returned as a failed <see cref="DialResult"/> with a reason. Thread-safe.
/// </remarks>
public interface IUpstreamDialer
{
    /// <summary>Connects to <paramref name="target"/> within <paramref name="timeout"/>.</summary>
    ValueTask<DialResult> DialAsync(TargetOptions target, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>The result of one dial: a connected socket, or why there is none.</summary>
/// <param name="Socket">The connected socket (NoDelay set), or null.</param>
/// <param name="Failure">Why the dial failed, in words for the log (for example "connection refused").</param>
public readonly record struct DialResult(Socket? Socket, string? Failure)
{
    /// <summary>True when <see cref="Socket"/> is connected.</summary>
    public bool Connected => Socket is not null;
}
