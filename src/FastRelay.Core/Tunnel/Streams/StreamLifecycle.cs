namespace FastRelay.Tunnel.Streams;

/// <summary>What a received frame means for a stream's state (§4.5).</summary>
internal enum StreamEvent
{
    /// <summary>Allowed; nothing special.</summary>
    Accepted,

    /// <summary>Allowed, and the stream is now closed (both FINs, or a reset).</summary>
    Closed,

    /// <summary>Breaks the state rules (DATA before OPEN_OK, DATA after FIN, a second OPEN_OK): PROTOCOL_ERROR.</summary>
    Violation,
}

/// <summary>
/// The state of one stream (§4.5): opening until OPEN_OK, then each direction open until its FIN; closed when
/// both FINs passed, or at once on a reset. Not thread-safe: the session guards it.
/// </summary>
internal sealed class StreamLifecycle
{
    /// <summary>True once OPEN_OK was sent or received.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>True once our DATA|FIN was sent.</summary>
    public bool FinSent { get; private set; }

    /// <summary>True once the peer's DATA|FIN arrived.</summary>
    public bool FinReceived { get; private set; }

    /// <summary>True once an RST was sent or received.</summary>
    public bool IsReset { get; private set; }

    /// <summary>True when the stream is finished: reset, or both FINs.</summary>
    public bool IsClosed => IsReset || (FinSent && FinReceived);

    /// <summary>OPEN_OK was sent (gateway) or received (edge).</summary>
    public StreamEvent OnOpened()
    {
        if (IsOpen || IsReset)
        {
            return IsReset ? StreamEvent.Accepted : StreamEvent.Violation;
        }

        IsOpen = true;
        return StreamEvent.Accepted;
    }

    /// <summary>DATA arrived; <paramref name="fin"/> when it carries FIN.</summary>
    public StreamEvent OnDataReceived(bool fin)
    {
        if (!IsOpen || FinReceived)
        {
            return StreamEvent.Violation;
        }

        FinReceived |= fin;
        return IsClosed ? StreamEvent.Closed : StreamEvent.Accepted;
    }

    /// <summary>Our DATA|FIN went out.</summary>
    public StreamEvent OnFinSent()
    {
        FinSent = true;
        return IsClosed ? StreamEvent.Closed : StreamEvent.Accepted;
    }

    /// <summary>An RST was sent or received. Returns <see cref="StreamEvent.Closed"/> the first time only.</summary>
    public StreamEvent OnReset()
    {
        var wasClosed = IsClosed;
        IsReset = true;
        return wasClosed ? StreamEvent.Accepted : StreamEvent.Closed;
    }
}
