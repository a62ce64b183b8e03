using System.Net;
using FastRelay.Configuration;
using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>
/// The edge's tunnel pool: one <see cref="GatewayPool"/> per <c>--gateway</c>, all active. A new session takes a
/// slot on a warm connection (no TCP or crypto handshake), gateways chosen by power-of-two-choices on open streams
/// (<see cref="TryReserve"/>); a REFUSED_STREAM is retried on another connection, and a stream whose gateway could
/// not reach the target, or whose connection died before answering, on a different gateway (<see cref="OpenStreamAsync"/>).
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
    public int Reachable => _gateways.Count(g => g.IsReachable);

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
    /// or a slot freed) for up to the tunnel connect timeout or <paramref name="openTimeout"/>, the shorter; never waits for a handshake when a warm
    /// connection has room. Never throws for network or protocol outcomes.
    /// </summary>
    /// <remarks>
    /// Failover (README "Dual gateways and failover"): an OPEN the gateway never processed (REFUSED_STREAM, above its
    /// GOAWAY, never sent) is tried again on another connection, another gateway's first. An OPEN whose gateway could
    /// not dial the target (CONNECT_REFUSED, CONNECT_TIMEOUT, UNREACHABLE) or whose connection died before OPEN_OK is
    /// tried on a <em>different</em> gateway, at most <paramref name="gatewayRetries"/> times: no client byte was sent
    /// yet (§4.4: no DATA before OPEN_OK), so the client never notices. FORBIDDEN_TARGET is final. Every attempt
    /// fits in <paramref name="openTimeout"/>.
    /// </remarks>
    public async ValueTask<TunnelPoolOpen> OpenStreamAsync(TunnelTarget target, TimeSpan openTimeout, CancellationToken cancellationToken, int gatewayRetries = 1)
    {
        // Waiting for room is bounded by --tunnel-connect-timeout and by this attempt's own budget, so the session's
        // other targets (--retries) still get their share of --connect-timeout after it.
        var wait = openTimeout < _waitForRoom ? openTimeout : _waitForRoom;
        var deadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        var openDeadline = _time.GetTimestamp() + (long)(openTimeout.TotalSeconds * _time.TimestampFrequency); // The whole call, room wait included.
        var lastError = TunnelErrorCode.RefusedStream;
        string? lastGateway = null;
        GatewayPool? avoid = null;    // The gateway that did not process the last OPEN: another one is preferred.
        GatewayPool? excluded = null; // The gateway that could not reach the target (or died): never tried again for it.
        GatewayPool? refusedBy = null; // The gateway of the last REFUSED_STREAM: refused twice in a row, it is full (--max-streams).
        for (var attempt = 0; attempt < MaxAttempts;)
        {
            if ((excluded is not null ? TryReserve(excluded) : TryReserve(avoid) ?? TryReserve()) is not { } link)
            {
                // Every gateway failed its last dial and is backing off: say so now rather than after the timeout. A
                // retry on another gateway takes a slot free now, or none: WaitForRoomAsync would see the excluded
                // gateway's room and return at once, again and again.
                if (excluded is not null || _gateways.All(g => g.IsDown) || !await WaitForRoomAsync(deadline, cancellationToken))
                {
                    return new TunnelPoolOpen(null, lastGateway is null ? TunnelErrorCode.Unreachable : lastError, lastGateway, excluded is null ? NoRoomReason() : null);
                }

                continue;
            }

            attempt++;
            lastGateway = link.Gateway;
            var openStarted = _time.GetTimestamp();
            if (Remaining(openDeadline) is not { Ticks: > 0 } left)
            {
                link.Owner?.RecycleIfSpent(link); // Its last slot was taken: drain it as if it had opened.
                link.Release();
                return new TunnelPoolOpen(null, TunnelErrorCode.Timeout, link.Gateway, $"no OPEN_OK within {openTimeout.TotalMilliseconds:0} ms");
            }

            var opened = await link.Link.OpenStreamAsync(target, left, cancellationToken);
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
            if (opened.Error == TunnelErrorCode.RefusedStream && link.Owner is { } refusing)
            {
                // A GOAWAY race refuses once; a second refusal from the same gateway means it is full: the others, or stop.
                if (refusing == refusedBy)
                {
                    if (!HasOtherUsable(refusing))
                    {
                        return new TunnelPoolOpen(null, opened.Error, link.Gateway, "the gateway refused the stream twice (full: its --max-streams)");
                    }

                    excluded = refusing;
                }

                refusedBy = refusing;
            }

            var failedOver = !opened.Retryable && gatewayRetries > 0 && IsGatewayRetryable(opened.Error, link) && HasOtherUsable(link.Owner);
            if (!(opened.Retryable || failedOver) || cancellationToken.IsCancellationRequested || Remaining(openDeadline) <= TimeSpan.Zero)
            {
                return new TunnelPoolOpen(null, opened.Error, link.Gateway, null);
            }

            if (failedOver)
            {
                gatewayRetries--;
                excluded = link.Owner;
            }

            avoid = link.Owner;
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

    /// <summary>
    /// <see cref="DrainAll"/>, then waits up to <paramref name="wait"/> for the connections to close (the gateways answer the
    /// GOAWAY): at shutdown, so their close lines come before the process says it stopped.
    /// </summary>
    public async Task DrainAllAsync(TimeSpan wait)
    {
        DrainAll();
        var closing = Task.WhenAll(_gateways.SelectMany(g => g.Closing));
        await Task.WhenAny(closing, Task.Delay(wait, _time)); // Never faults: Completion tasks are never faulted.
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
    /// takes its least-loaded connection. Null when no gateway (other than <paramref name="exclude"/>) has room.
    /// </summary>
    internal PooledLink? TryReserve(GatewayPool? exclude = null)
    {
        Span<int> eligible = _gateways.Length <= 64 ? stackalloc int[_gateways.Length] : new int[_gateways.Length];
        var count = 0;
        for (var i = 0; i < _gateways.Length; i++)
        {
            if (_gateways[i] != exclude && _gateways[i].HasRoom)
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

    /// <summary>
    /// The gateway could not dial the target (§4.4 target errors: another gateway may reach it over another path), or the
    /// connection died before OPEN_OK (killed, or silent for 3 pings). FORBIDDEN_TARGET is a policy answer: never retried.
    /// </summary>
    private static bool IsGatewayRetryable(TunnelErrorCode error, PooledLink link) =>
        error is TunnelErrorCode.ConnectRefused or TunnelErrorCode.ConnectTimeout or TunnelErrorCode.Unreachable
        || (error != TunnelErrorCode.ForbiddenTarget && !link.Link.CanOpenStreams && !link.IsDraining); // Closing, and not by the pool's own recycling.

    private bool HasOtherUsable(GatewayPool? failed) => _gateways.Any(g => g != failed && g.UsableConnections > 0);

    private TimeSpan Remaining(long deadline) => TimeSpan.FromSeconds((double)(deadline - _time.GetTimestamp()) / _time.TimestampFrequency);

    private bool TryPeekRoom() => _gateways.Any(g => g.HasRoom);

    private string NoRoomReason()
    {
        var reachable = _gateways.Count(g => g.UsableConnections > 0);
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
