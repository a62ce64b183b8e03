namespace FastRelay.Tunnel.Pool;

/// <summary>
/// What the gateway pools tell the tunnel pool and the metrics: a connection came up, a dial failed, a slot was
/// freed (sessions waiting for room wake up), a connection was rekeyed, a stream opened.
/// </summary>
/// <remarks>Callbacks run on the pool's own flows: they must be quick and must not throw.</remarks>
internal sealed class TunnelPoolEvents
{
    private TaskCompletionSource _capacity = NewSignal();
    private int _waiters;

    /// <summary>Told of every stream opened (metrics.TunnelStreamOpened); null for nobody.</summary>
    public Action<string>? StreamOpened { get; init; }

    /// <summary>Told of every rekey seen (metrics.TunnelRekeyed); null for nobody.</summary>
    public Action<string>? OnRekeyed { get; init; }

    /// <summary>Told of each new ping round trip the maintenance tick sees (metrics.TunnelPinged); null for nobody.</summary>
    public Action<string, TimeSpan>? OnPinged { get; init; }

    /// <summary>Told of every handshake with a gateway, true when it succeeded; null for nobody.</summary>
    public Action<string, bool>? OnHandshake { get; init; }

    /// <summary>
    /// Told when a gateway closed a link right after a handshake that succeeded on our side, before any stream (GOAWAY
    /// AUTH_FAILED: it does not pin our key); that handshake was told to <see cref="OnHandshake"/> as a success.
    /// </summary>
    public Action<string>? OnRefused { get; init; }

    /// <summary>A task that completes at the next change in capacity (a connection up, a slot freed).</summary>
    public Task WaitForCapacity()
    {
        Interlocked.Increment(ref _waiters);
        return Volatile.Read(ref _capacity).Task;
    }

    /// <summary>A waiter stopped waiting (found room, or gave up).</summary>
    public void StopWaiting() => Interlocked.Decrement(ref _waiters);

    public void Connected(string gateway)
    {
        OnHandshake?.Invoke(gateway, true);
        Signal();
    }

    public void DialFailed(string gateway)
    {
        OnHandshake?.Invoke(gateway, false);
        Signal(); // Waiters re-check: with every gateway down they fail fast instead of waiting out the timeout.
    }

    /// <summary>
    /// A link closed right after its handshake, before any stream: when the gateway refused our key
    /// (<paramref name="keyRefused"/>), a refusal of that handshake, not a second outcome; otherwise nothing is counted.
    /// </summary>
    public void Refused(string gateway, bool keyRefused)
    {
        if (keyRefused)
        {
            OnRefused?.Invoke(gateway);
        }

        Signal();
    }

    public void Rekeyed(string gateway) => OnRekeyed?.Invoke(gateway);

    public void Pinged(string gateway, TimeSpan rtt) => OnPinged?.Invoke(gateway, rtt);

    /// <summary>A slot was freed: only worth a signal when someone waits (the common case is nobody).</summary>
    public void CapacityFreed()
    {
        if (Volatile.Read(ref _waiters) > 0)
        {
            Signal();
        }
    }

    private void Signal() => Interlocked.Exchange(ref _capacity, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
