namespace FastRelay.Observing;

/// <summary>
/// Told of every decision on every connection and of each allowed connection's close (the audit log, the
/// metrics). Called on the connection's own flow, in order per connection, from many connections at once.
/// </summary>
/// <remarks>
/// Contract: an implementation must be thread-safe, must return at once (no I/O, no locks held for long:
/// queue the work), must not allocate per event on its steady path, and must never throw; the data path
/// does not wait for it and does not catch for it.
/// </remarks>
internal interface IConnectionObserver
{
    /// <summary>One decision or close. See <see cref="ConnectionEvent"/>.</summary>
    void OnEvent(in ConnectionEvent connectionEvent);
}
