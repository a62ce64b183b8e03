using System.Collections.Concurrent;
using FastRelay.Observing;

namespace FastRelay.TestKit;

/// <summary>Keeps every connection event it is told of, for assertions.</summary>
internal sealed class RecordingObserver : IConnectionObserver
{
    private readonly ConcurrentQueue<ConnectionEvent> _events = new();

    /// <summary>The events so far, in arrival order.</summary>
    public IReadOnlyList<ConnectionEvent> Events => [.. _events];

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent connectionEvent) => _events.Enqueue(connectionEvent);
}
