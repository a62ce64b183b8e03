using System.Net;
using FastRelay.Configuration;
using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// The edge's tunnel pool: one <see cref="GatewayPool"/> per <c>--gateway</c>, all active. A new session takes a
/// slot on a warm connection (no TCP or crypto handshake), gateways chosen by power-of-two-choices on open streams
/// (<see cref="TryReserve"/>); a REFUSED_STREAM (or a
/// connection that went away before answering) is retried on another connection.
/// </summary>
/// <remarks>Thread-safe. <see cref="Start"/> dials the warm connections; <see cref="DisposeAsync"/> drains and closes.</remarks>
internal sealed partial class TunnelPool : IAsyncDisposable
{
    /// <summary>How many connections one session tries before giving up (each failure was retryable).</summary>
    private const int MaxAttempts = 8;

    private readonly GatewayPool[] _gateways;
    private readonly TunnelPoolEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _waitForRoom;
    private readonly ITimer _maintenance;
    private readonly Random _random;

    public TunnelPool(IReadOnlyList<GatewayAddress> gateways, ITunnelLinkDialer dialer, PoolPolicyOptions policy, TimeSpan waitForRoom,
        TimeProvider time, Random random, ILogger logger, TunnelPoolEvents? events = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(gateways.Count);
        _events = events ?? new TunnelPoolEvents();
        _gateways = [.. gateways.Select(g => new GatewayPool(g, dialer, policy, time, random, logger, _events))];
        _time = time;
        _logger = logger;
        _waitForRoom = waitForRoom;
        _random = random;

        // Reaping and redials are checked at a tenth of the idle timeout (50 ms to 1 s): a connection is reaped
        // between the timeout and the timeout plus one period.
        var period = TimeSpan.FromTicks(Math.Clamp(policy.KeepaliveTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _maintenance = time.CreateTimer(static s => ((TunnelPool)s!).MaintainAll(), this, Timeout.InfiniteTimeSpan, period);
        Period = period;
    }

    /// <summary>The maintenance period.</summary>
    public TimeSpan Period { get; }

    /// <summary>The gateway pools, in configuration order.</summary>
    public IReadOnlyList<GatewayPool> Gateways => _gateways;

    /// <summary>Gateways with at least one usable connection now.</summary>
    public int Reachable => _gateways.Count(g => g.UsableConnections > 0);

    /// <summary>Successful handshakes with all gateways since start.</summary>
    public long Handshakes => _gateways.Sum(g => g.Handshakes);

    /// <summary>Dials the warm connections of every gateway and starts the maintenance timer.</summary>
    public void Start()
    {
        MaintainAll();
        _maintenance.Change(Period, Period);
    }

    /// <summary>
    /// Opens a stream to <paramref name="target"/> through some gateway. Waits for room (a connection being dialled,
    /// or a slot freed) for up to the tunnel connect timeout; never waits for a handshake when a warm
    /// connection has room. Never throws for network or protocol outcomes.
    /// </summary>
    public async ValueTask<TunnelPoolOpen> OpenStreamAsync(TunnelTarget target, TimeSpan openTimeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(_waitForRoom.TotalSeconds * _time.TimestampFrequency);
        var lastError = TunnelErrorCode.RefusedStream;
        string? lastGateway = null;
        for (var attempt = 0; attempt < MaxAttempts;)
        {
            if (TryReserve() is not { } link)
            {
                // Every gateway failed its last dial and is backing off: say so now rather than after the timeout.
                if (_gateways.All(g => g.IsDown) || !await WaitForRoomAsync(deadline, cancellationToken))
                {
                    return new TunnelPoolOpen(null, lastGateway is null ? TunnelErrorCode.Unreachable : lastError, lastGateway, NoRoomReason());
                }

                continue;
            }

            attempt++;
            lastGateway = link.Gateway;
            var openStarted = _time.GetTimestamp();
            var opened = await link.Link.OpenStreamAsync(target, openTimeout, cancellationToken);
            link.Owner?.RecycleIfSpent(link); // Its last stream's OPEN is answered: now it may drain.
            if (opened.Stream is { } stream)
            {
                link.Owner?.OpenLatency.Add(_time.GetElapsedTime(openStarted)); // The tie-breaker of the next choices.
                link.Owner?.MarkHealthy();
                _events.StreamOpened?.Invoke(link.Gateway);
                return new TunnelPoolOpen(new TunnelLease(stream, link), TunnelErrorCode.NoError, link.Gateway, null);
            }

            link.Release();
            lastError = opened.Error;
            if (!opened.Retryable || cancellationToken.IsCancellationRequested)
            {
                return new TunnelPoolOpen(null, opened.Error, link.Gateway, null);
            }

            Log.OpenRetried(_logger, link.Gateway, link.Id, opened.Error);
        }

        return new TunnelPoolOpen(null, lastError, lastGateway, $"{MaxAttempts} tunnel connections refused the stream");
    }

    /// <summary>Sends GOAWAY on every connection: streams in flight finish, no new ones start.</summary>
    public void DrainAll()
    {
        _maintenance.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var gateway in _gateways)
        {
            gateway.DrainAll();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _maintenance.DisposeAsync();
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }
    }

    /// <summary>
    /// Takes a slot on some gateway, chosen by power-of-two-choices among the gateways with room now (a usable
    /// connection with a free slot: a gateway whose connections all died, missed pings included, has none and is
    /// out of the choice at once): two at random, the one with fewer open streams wins, a tie goes to the lower
    /// EWMA of OPEN→OPEN_OK time (else of ping round trip). Inside the gateway, <see cref="GatewayPool.TryReserve"/>
    /// takes its least-loaded connection. Null when no gateway has room.
    /// </summary>
    internal PooledLink? TryReserve()
    {
        Span<int> eligible = _gateways.Length <= 64 ? stackalloc int[_gateways.Length] : new int[_gateways.Length];
        var count = 0;
        for (var i = 0; i < _gateways.Length; i++)
        {
            if (_gateways[i].HasRoom)
            {
                eligible[count++] = i;
            }
        }

        while (count > 0)
        {
            var (first, second) = Routing.PowerOfTwoChoices.Sample(count, _random);
            var chosen = GatewayPool.IsLessLoaded(_gateways[eligible[second]], _gateways[eligible[first]]) ? second : first;
            if (_gateways[eligible[chosen]].TryReserve() is { } link)
            {
                return link;
            }

            // Its last slot went to another session between the look and the reservation: choose among the rest.
            eligible[chosen] = eligible[--count];
        }

        return null;
    }

    private async ValueTask<bool> WaitForRoomAsync(long deadline, CancellationToken cancellationToken)
    {
        var signal = _events.WaitForCapacity();
        try
        {
            // Growth: every full gateway dials one more connection (one at a time per gateway).
            MaintainAll(sessionWaiting: true);
            if (TryPeekRoom())
            {
                return true;
            }

            var left = TimeSpan.FromSeconds((double)(deadline - _time.GetTimestamp()) / _time.TimestampFrequency);
            if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await signal.WaitAsync(left, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return TryPeekRoom();
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            return true;
        }
        finally
        {
            _events.StopWaiting();
        }
    }

    private bool TryPeekRoom() => _gateways.Any(g => g.HasRoom);

    private string NoRoomReason()
    {
        var reachable = Reachable;
        var failures = string.Join("; ", _gateways.Where(g => g.LastFailure is not null).Select(g => $"{g.Name}: {g.LastFailure}"));
        return reachable == 0
            ? $"no gateway reachable ({_gateways.Length} configured){(failures.Length > 0 ? ": " + failures : "")}"
            : $"every tunnel connection is full and no new one came up within {Configuration.ValueSyntax.FormatDuration(_waitForRoom)}";
    }

    private void MaintainAll(bool sessionWaiting = false)
    {
        foreach (var gateway in _gateways)
        {
            gateway.Maintain(sessionWaiting);
        }
    }
}

/// <summary>The outcome of <see cref="TunnelPool.OpenStreamAsync"/>.</summary>
/// <param name="Stream">The stream (dispose after the relay to free its slot), or null.</param>
/// <param name="Error">The gateway's RST code, or <see cref="TunnelErrorCode.Unreachable"/> when no connection had room.</param>
/// <param name="Gateway">The gateway tried last; null when none was.</param>
/// <param name="Detail">Why no connection was available, when that is the reason.</param>
internal readonly record struct TunnelPoolOpen(TunnelLease? Stream, TunnelErrorCode Error, string? Gateway, string? Detail);
