using FastRelay.Diagnostics;

namespace FastRelay.Relaying;

/// <summary>
/// Relays one client connection and one upstream connection both ways until both directions have ended,
/// and settles the connection's single <see cref="CloseReason"/>.
/// </summary>
/// <remarks>
/// <para>Half-close: a FIN one way completes that direction only; the other keeps flowing until its own
/// FIN. A failure one way (reset, abort) aborts both sides at once: the first failure sets the reason,
/// later ones are ignored (STYLE H5.3).</para>
/// <para><see cref="TryClose"/> and <see cref="IdleFor"/> are thread-safe, so the idle sweeper and the drain
/// can act on a running relay, or on one not yet started (the reason then applies as soon as it starts).
/// One instance relays one connection at a time; <see cref="Reset"/> readies it for the next (the Net
/// layer pools it).</para>
/// </remarks>
public sealed class DuplexRelay : IPumpProgress
{
    private const int NoReason = -1;

    private readonly TimeProvider _time;
    private IPipeConnection? _client;
    private IPipeConnection? _upstream;
    private IByteThrottle? _throttleUp;
    private IByteThrottle? _throttleDown;
    private Action? _externalAbort;
    private long _lastActivityTimestamp;
    private long _bytesToUpstream;
    private long _bytesToClient;
    private int _reason = NoReason;

    /// <summary>Creates a relay that reads the idle clock from <paramref name="time"/>.</summary>
    public DuplexRelay(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>Relays until both directions end; returns the close reason and byte counts.</summary>
    /// <param name="client">The client side.</param>
    /// <param name="upstream">The upstream side.</param>
    /// <param name="throttleUp">Paces client-to-upstream bytes; null for full speed.</param>
    /// <param name="throttleDown">Paces upstream-to-client bytes; null for full speed.</param>
    /// <remarks>Never throws for connection outcomes; both connections are finished with when it returns
    /// (aborted on failure, completed on a clean end) but not disposed: the caller owns them.</remarks>
    public async Task<RelayOutcome> RunAsync(IPipeConnection client, IPipeConnection upstream, IByteThrottle? throttleUp = null, IByteThrottle? throttleDown = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upstream);
        _client = client;
        _upstream = upstream;
        _throttleUp = throttleUp;
        _throttleDown = throttleDown;
        _bytesToUpstream = 0;
        _bytesToClient = 0;
        Volatile.Write(ref _lastActivityTimestamp, _time.GetTimestamp());

        // A TryClose that ran before the pipes were attached (drain, idle) must still take effect.
        if (Volatile.Read(ref _reason) != NoReason)
        {
            AbortBoth();
        }

        var toUpstream = PumpAsync(client, upstream, RelayDirection.ClientToUpstream);
        var toClient = PumpAsync(upstream, client, RelayDirection.UpstreamToClient);
        await toUpstream;
        await toClient;
        TrySetReason(CloseReason.Completed);
        _client = null;
        _upstream = null;
        _throttleUp = null;
        _throttleDown = null;
        return new RelayOutcome((CloseReason)_reason, _bytesToUpstream, _bytesToClient);
    }

    /// <summary>
    /// Starts a run carried by another data path (the Linux epoll relay in FastRelay.Net): the bytes move outside
    /// <see cref="RunAsync"/>, but the close reason, the idle clock and <see cref="TryClose"/> stay here, so the
    /// drain and the idle sweeper treat both paths alike. <paramref name="abort"/> is what <see cref="TryClose"/>
    /// calls to cut that path off (from any thread, possibly more than once); when a reason was set before this
    /// call (a drain during the dial), it is called at once.
    /// </summary>
    public void StartExternal(Action abort)
    {
        ArgumentNullException.ThrowIfNull(abort);
        Volatile.Write(ref _lastActivityTimestamp, _time.GetTimestamp());

        // A full fence between the store and the load (TryClose's compare-exchange is one on its side), so that of a
        // racing TryClose and this call at least one sees the other and the abort is not lost.
        Interlocked.Exchange(ref _externalAbort, abort);
        if (Volatile.Read(ref _reason) != NoReason)
        {
            abort();
        }
    }

    /// <summary>Records that bytes moved at <paramref name="timestamp"/> (same <see cref="TimeProvider"/>), for an external run.</summary>
    public void NoteActivity(long timestamp) => Volatile.Write(ref _lastActivityTimestamp, timestamp);

    /// <summary>Ends an external run: a run that no failure or close ended completed cleanly.</summary>
    public RelayOutcome EndExternal(long bytesClientToUpstream, long bytesUpstreamToClient)
    {
        TrySetReason(CloseReason.Completed);
        Volatile.Write(ref _externalAbort, null);
        return new RelayOutcome((CloseReason)Volatile.Read(ref _reason), bytesClientToUpstream, bytesUpstreamToClient);
    }

    /// <summary>
    /// Told when each direction's pump has ended (FIN, failure or close), before the relay returns; null for nobody.
    /// Called from the pump's flow: it must be quick and must not throw. Set once, it stays for the next connections.
    /// </summary>
    public Action<RelayDirection>? DirectionEnded { get; set; }

    /// <summary>The close reason once one is set (by a failure, <see cref="TryClose"/>, or a clean end); otherwise null.</summary>
    public CloseReason? Reason => Volatile.Read(ref _reason) is var r and not NoReason ? (CloseReason)r : null;

    /// <summary>Makes the instance ready for the next connection. Not thread-safe: call before anyone else can see it.</summary>
    public void Reset()
    {
        _reason = NoReason;
        _client = null;
        _upstream = null;
        _externalAbort = null;
    }

    /// <summary>
    /// Ends the relay now with <paramref name="reason"/> (idle timeout, shutdown): both sides are aborted.
    /// Returns false if the connection already had a reason. Thread-safe.
    /// </summary>
    public bool TryClose(CloseReason reason)
    {
        if (!TrySetReason(reason))
        {
            return false;
        }

        AbortBoth();
        return true;
    }

    /// <summary>How long no byte has moved either way, as of <paramref name="nowTimestamp"/> (from the same <see cref="TimeProvider"/>).</summary>
    public TimeSpan IdleFor(long nowTimestamp) =>
        _time.GetElapsedTime(Volatile.Read(ref _lastActivityTimestamp), nowTimestamp);

    /// <inheritdoc />
    void IPumpProgress.OnTransferred(RelayDirection direction, long bytes)
    {
        // Each counter has one writer (its pump); readers take it after both pumps end.
        if (direction == RelayDirection.ClientToUpstream)
        {
            _bytesToUpstream += bytes;
        }
        else
        {
            _bytesToClient += bytes;
        }

        Volatile.Write(ref _lastActivityTimestamp, _time.GetTimestamp());
    }

    private async Task PumpAsync(IPipeConnection from, IPipeConnection to, RelayDirection direction)
    {
        var throttle = direction == RelayDirection.ClientToUpstream ? _throttleUp : _throttleDown;
        var (result, error) = await PipePump.CopyAsync(from.Input, to.Output, this, direction, throttle);
        DirectionEnded?.Invoke(direction);
        if (result != PumpResult.SourceCompleted)
        {
            // Settled before the pipes complete, since completing them makes the other side fail too.
            var reason = FailureReason(direction, sourceFailed: result == PumpResult.SourceFailed);
            if (result == PumpResult.SourceFailed && error is not null && TrySetReason(reason))
            {
                // The source's error reaches the destination before the abort, so a destination that can say why does:
                // a tunnel stream at the gateway answers a target's TCP reset with RST(TARGET_RESET), not CANCEL (§4.5).
                await to.Output.CompleteAsync(error);
                AbortBoth();
            }
            else
            {
                TryClose(reason);
            }
        }

        await PipePump.CompleteAsync(from.Input, to.Output, result, error);
    }

    /// <summary>
    /// The close reason of a failure in <paramref name="direction"/>: the side whose socket failed decides it, so
    /// reading the client (<paramref name="sourceFailed"/> on the way up) or writing to it is the client's. Both data
    /// paths use this one rule.
    /// </summary>
    public static CloseReason FailureReason(RelayDirection direction, bool sourceFailed) =>
        sourceFailed == (direction == RelayDirection.ClientToUpstream) ? CloseReason.ClientReset : CloseReason.UpstreamReset;

    private bool TrySetReason(CloseReason reason) =>
        Interlocked.CompareExchange(ref _reason, (int)reason, NoReason) == NoReason;

    private void AbortBoth()
    {
        _client?.Abort();
        _upstream?.Abort();
        Volatile.Read(ref _externalAbort)?.Invoke();
    }
}

/// <summary>How a relayed connection ended.</summary>
/// <param name="Reason">The single close reason.</param>
/// <param name="BytesClientToUpstream">Bytes taken from the client and handed to the upstream side.</param>
/// <param name="BytesUpstreamToClient">Bytes taken from the upstream and handed to the client side.</param>
public readonly record struct RelayOutcome(CloseReason Reason, long BytesClientToUpstream, long BytesUpstreamToClient);
