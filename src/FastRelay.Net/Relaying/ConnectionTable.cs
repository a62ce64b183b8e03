namespace FastRelay.Relaying;

/// <summary>
/// The connections open right now, in a fixed number of slots: enforces the global connection limit,
/// lets the idle sweeper and the drain visit every connection, and tells the drain when the last one ends.
/// </summary>
/// <remarks>
/// Add and remove take a short lock (once per connection, never per byte); <see cref="ForEach"/> reads
/// the slots without one, so it may see a connection that is just being added or removed, which the
/// visitors tolerate. Thread-safe.
/// </remarks>
internal sealed class ConnectionTable
{
    private readonly RelayedConnection?[] _slots;
    private readonly Stack<int> _freeSlots = new();
    private readonly Lock _lock = new();
    private int _nextUnusedSlot;
    private int _active;
    private TaskCompletionSource? _emptied;

    /// <summary>Creates a table for at most <paramref name="capacity"/> connections.</summary>
    public ConnectionTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _slots = new RelayedConnection?[capacity];
    }

    /// <summary>Connections open now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Takes a slot for <paramref name="connection"/>; false when the table is full.</summary>
    public bool TryAdd(RelayedConnection connection)
    {
        lock (_lock)
        {
            int slot;
            if (_freeSlots.Count > 0)
            {
                slot = _freeSlots.Pop();
            }
            else if (_nextUnusedSlot < _slots.Length)
            {
                slot = _nextUnusedSlot++;
            }
            else
            {
                return false;
            }

            connection.Slot = slot;
            Volatile.Write(ref _slots[slot], connection);
            _active++;
            return true;
        }
    }

    /// <summary>Frees the slot of <paramref name="connection"/>.</summary>
    public void Remove(RelayedConnection connection)
    {
        lock (_lock)
        {
            Volatile.Write(ref _slots[connection.Slot], null);
            _freeSlots.Push(connection.Slot);
            _active--;
            if (_active == 0)
            {
                _emptied?.TrySetResult();
                _emptied = null;
            }
        }
    }

    /// <summary>Calls <paramref name="visit"/> for every open connection.</summary>
    public void ForEach<TState>(Action<RelayedConnection, TState> visit, TState state)
    {
        var used = Volatile.Read(ref _nextUnusedSlot);
        for (var i = 0; i < used; i++)
        {
            if (Volatile.Read(ref _slots[i]) is { } connection)
            {
                visit(connection, state);
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for every open connection while holding the table's lock: none can be removed
    /// (and its pooled instance reused for the next client) during the call. For rare work only (a policy re-check):
    /// accepts and closes wait for it.
    /// </summary>
    public void ForEachLocked<TState>(Action<RelayedConnection, TState> visit, TState state)
    {
        lock (_lock)
        {
            ForEach(visit, state);
        }
    }

    /// <summary>Completes when no connection is open.</summary>
    public Task WhenEmptyAsync()
    {
        lock (_lock)
        {
            if (_active == 0)
            {
                return Task.CompletedTask;
            }

            _emptied ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _emptied.Task;
        }
    }
}
