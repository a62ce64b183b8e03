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
    /// <summary>
    /// Connects to <paramref name="target"/> within <paramref name="timeout"/>, trying only the resolved
    /// addresses <paramref name="guard"/> allows (the Outbound checkpoint runs on addresses, not names).
    /// </summary>
    ValueTask<DialResult> DialAsync(TargetOptions target, TimeSpan timeout, IDialGuard? guard, CancellationToken cancellationToken);
}

/// <summary>Decides, per resolved upstream address, whether it may be dialled (the Outbound checkpoint).</summary>
public interface IDialGuard
{
    /// <summary>True when <paramref name="upstream"/> may be dialled. Must not block.</summary>
    bool Allows(System.Net.IPEndPoint upstream);
}

/// <summary>The result of one dial: a connected socket, or why there is none.</summary>
/// <param name="Socket">The connected socket (NoDelay set), or null.</param>
/// <param name="Failure">Why the dial failed, in words for the log (for example "connection refused").</param>
/// <param name="Denied">True when every address was refused by the <see cref="IDialGuard"/> (no packet was sent).</param>
/// <param name="Kind">What kind of failure, for the gateway's RST code (tunnel.md §4.4 target errors).</param>
public readonly record struct DialResult(Socket? Socket, string? Failure, bool Denied = false, DialFailureKind Kind = DialFailureKind.None)
{
    /// <summary>True when <see cref="Socket"/> is connected.</summary>
    public bool Connected => Socket is not null;
}

/// <summary>Why a dial failed, as a value (the gateway answers each with its own RST code).</summary>
public enum DialFailureKind
{
    /// <summary>No failure, or one not classified.</summary>
    None,

    /// <summary>The target answered with a reset (nothing listens there).</summary>
    Refused,

    /// <summary>No answer within the connect timeout.</summary>
    TimedOut,

    /// <summary>No route to the host or network.</summary>
    Unreachable,

    /// <summary>The name did not resolve.</summary>
    NameNotResolved,

    /// <summary>Every address was denied by the guard (the Outbound rules).</summary>
    Denied,
}
