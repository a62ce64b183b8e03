namespace FastRelay.Gateway;

/// <summary>
/// The gateway's counters, for /status, the metrics and the tests (a new session over a warm pool shows up as a
/// stream here and not as a handshake). Thread-safe: each is one atomic word.
/// </summary>
internal sealed class GatewayStats
{
    private long _handshakes;
    private long _handshakesFailed;
    private long _handshakesOverMax;
    private long _handshakesOverPerSource;
    private long _handshakesRateLimited;
    private long _streamsAccepted;
    private long _streamsRejected;
    private int _connections;
    private int _handshaking;
    private int _activeStreams;
    private int _streamSlots;
    private long _streamsOverMaxStreams;
    private long _streamsOverDescriptors;
    private long _tunnelsLimited;

    /// <summary>Tunnels authenticated since start.</summary>
    public long Handshakes => Interlocked.Read(ref _handshakes);

    /// <summary>Handshakes that failed (bad preamble, wrong key, timeout, …).</summary>
    public long HandshakesFailed => Interlocked.Read(ref _handshakesFailed);

    /// <summary>Connections closed at once because <c>--max-handshakes</c> were in flight, in all or from their address (<c>--max-handshakes-per-source</c>).</summary>
    public long HandshakesLimited => HandshakesOverMax + HandshakesOverPerSource;

    /// <summary>Connections closed at once because <c>--max-handshakes</c> were in flight in all.</summary>
    public long HandshakesOverMax => Interlocked.Read(ref _handshakesOverMax);

    /// <summary>Connections closed at once because <c>--max-handshakes-per-source</c> were in flight from their address.</summary>
    public long HandshakesOverPerSource => Interlocked.Read(ref _handshakesOverPerSource);

    /// <summary>Connections closed at once by the per-source <c>--handshake-rate</c>.</summary>
    public long HandshakesRateLimited => Interlocked.Read(ref _handshakesRateLimited);

    /// <summary>Streams whose target was dialled (OPEN_OK).</summary>
    public long StreamsAccepted => Interlocked.Read(ref _streamsAccepted);

    /// <summary>Streams refused (RST: forbidden, refused, timed out, …).</summary>
    public long StreamsRejected => Interlocked.Read(ref _streamsRejected);

    /// <summary>Authenticated tunnel connections open now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Handshakes in flight now.</summary>
    public int Handshaking => Volatile.Read(ref _handshaking);

    /// <summary>Streams being relayed now.</summary>
    public int ActiveStreams => Volatile.Read(ref _activeStreams);

    /// <summary>Streams from their OPEN to their close, dials in flight included: each holds (or is about to hold) a target socket.</summary>
    public int StreamSlots => Volatile.Read(ref _streamSlots);

    /// <summary>OPENs refused because --max-streams or the descriptor budget was reached.</summary>
    public long StreamsLimited => StreamsOverMaxStreams + StreamsOverDescriptors;

    /// <summary>OPENs refused because --max-streams streams were open.</summary>
    public long StreamsOverMaxStreams => Interlocked.Read(ref _streamsOverMaxStreams);

    /// <summary>OPENs refused because the descriptor budget was reached.</summary>
    public long StreamsOverDescriptors => Interlocked.Read(ref _streamsOverDescriptors);

    /// <summary>Tunnels closed at accept because the descriptor budget was reached.</summary>
    public long TunnelsLimited => Interlocked.Read(ref _tunnelsLimited);

    /// <summary>Descriptors held now for tunnels (half-open ones included) and target sockets.</summary>
    public int DescriptorsInUse => Connections + Handshaking + StreamSlots;

    /// <summary>
    /// Takes a stream slot for an OPEN: false (counted) when <paramref name="maxStreams"/> slots are taken or the
    /// descriptors in use reached <paramref name="descriptorBudget"/>. Give it back with <see cref="ReleaseStreamSlot"/>.
    /// </summary>
    /// <param name="maxStreams">--max-streams.</param>
    /// <param name="descriptorBudget">The descriptors tunnels and target sockets may hold together.</param>
    /// <param name="overMaxStreams">When refused: true if --max-streams was the bound, false if the descriptors were.</param>
    public bool TryTakeStreamSlot(int maxStreams, int descriptorBudget, out bool overMaxStreams)
    {
        // Counted first, then checked: two racing OPENs never both pass the last slot.
        var slots = Interlocked.Increment(ref _streamSlots);
        overMaxStreams = slots > maxStreams;
        if (!overMaxStreams && Connections + Handshaking + slots <= descriptorBudget)
        {
            return true;
        }

        Interlocked.Decrement(ref _streamSlots);
        Interlocked.Increment(ref overMaxStreams ? ref _streamsOverMaxStreams : ref _streamsOverDescriptors);
        return false;
    }

    /// <summary>Gives back the slot of <see cref="TryTakeStreamSlot"/>.</summary>
    public void ReleaseStreamSlot() => Interlocked.Decrement(ref _streamSlots);

    /// <summary>Counts a tunnel closed at accept for the descriptor budget.</summary>
    public void TunnelLimited() => Interlocked.Increment(ref _tunnelsLimited);

    public bool TryStartHandshake(int max)
    {
        if (Interlocked.Increment(ref _handshaking) <= max)
        {
            return true;
        }

        Interlocked.Decrement(ref _handshaking);
        Interlocked.Increment(ref _handshakesOverMax);
        return false;
    }

    /// <summary>Counts a connection closed at once by <c>--max-handshakes-per-source</c> (before it took a global slot).</summary>
    public void HandshakeOverPerSource() => Interlocked.Increment(ref _handshakesOverPerSource);

    public void HandshakeEnded(bool succeeded)
    {
        Interlocked.Decrement(ref _handshaking);
        Interlocked.Increment(ref succeeded ? ref _handshakes : ref _handshakesFailed);
    }

    public void RateLimited() => Interlocked.Increment(ref _handshakesRateLimited);

    public void ConnectionOpened() => Interlocked.Increment(ref _connections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    public void StreamRejected() => Interlocked.Increment(ref _streamsRejected);

    public void StreamStarted()
    {
        Interlocked.Increment(ref _streamsAccepted);
        Interlocked.Increment(ref _activeStreams);
    }

    public void StreamEnded() => Interlocked.Decrement(ref _activeStreams);
}
