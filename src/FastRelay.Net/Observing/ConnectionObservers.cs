namespace FastRelay.Observing;

/// <summary>Fans each event out to several observers (audit and metrics), or to none.</summary>
internal sealed class ConnectionObservers : IConnectionObserver
{
    private readonly IConnectionObserver[] _observers;

    /// <summary>Creates a fan-out over <paramref name="observers"/> (in call order).</summary>
    public ConnectionObservers(params IConnectionObserver[] observers) => _observers = observers;

    /// <summary>An observer that ignores everything.</summary>
    public static ConnectionObservers None { get; } = new();

    /// <summary>True when there is nobody to tell (the data path can skip building events).</summary>
    public bool IsEmpty => _observers.Length == 0;

    /// <inheritdoc />
    public void OnEvent(in ConnectionEvent connectionEvent)
    {
        foreach (var observer in _observers)
        {
            observer.OnEvent(connectionEvent);
        }
    }
}
