using FastRelay.Tunnel.Frames;
using Microsoft.Extensions.Logging;

namespace FastRelay.Tunnel.Pool;

/// <summary>Dialling, watching and backing off: how a gateway pool's connections come and go.</summary>
internal sealed partial class GatewayPool
{
    private async Task DialAsync()
    {
        try
        {
            // The dialer bounds the attempt by --tunnel-connect-timeout.
            var link = await _dialer.DialAsync(_gateway, _stopping.Token);
            if (_stopping.IsCancellationRequested)
            {
                await link.DisposeAsync();
                return;
            }

            Interlocked.Increment(ref _handshakes);
            var pooled = new PooledLink(link, Name, Interlocked.Increment(ref _nextLinkId), new StreamSlots(_policy.MaxStreams, _policy.KeepaliveRequests), _time, _events.CapacityFreed)
            {
                Owner = this,
            };
            lock (_lock)
            {
                _links = [.. _links, pooled];
                Volatile.Write(ref _nextDialTimestamp, 0);
                if (_policy.Warm == 0)
                {
                    // An on-demand pool may reap this link before it counts as healthy: the gateway answered, so it is
                    // reachable again now (a refusal right after the handshake sets the failure again; the backoff stays).
                    Volatile.Write(ref _lastFailure, null);
                }
            }

            Log.Connected(_logger, Name, pooled.Id, _links.Length);
            _events.Connected(Name); // Before the watch: a link refused at once (GOAWAY already in) is counted ok, then refused.
            _ = WatchAsync(pooled); // Removes the link when it closes; never throws.
        }
        catch (TunnelDialException ex)
        {
            Failed(ex.Message);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: a dial cut short is expected.
        }
        finally
        {
            Interlocked.Decrement(ref _dialsInFlight);
        }
    }

    /// <summary>A link proved itself (a stream opened, or it outlived the young-link window): dial failures are forgiven.</summary>
    public void MarkHealthy()
    {
        if (Volatile.Read(ref _lastFailure) is null)
        {
            return;
        }

        lock (_lock)
        {
            _backoff.Reset();
            Volatile.Write(ref _lastFailure, null);
        }
    }

    // afterHandshake: the link came up (its handshake was counted as a success) and the gateway closed it at once.
    private void Failed(string reason, bool afterHandshake = false)
    {
        Interlocked.Increment(ref _failedDials);
        TimeSpan delay;
        lock (_lock)
        {
            delay = _backoff.NextDelay();
            Volatile.Write(ref _nextDialTimestamp, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
        }

        Volatile.Write(ref _lastFailure, reason);
        Log.DialFailed(_logger, Name, reason, _backoff.Failures, delay.TotalMilliseconds);
        if (afterHandshake)
        {
            // Its handshake was counted ok. Refused only when the gateway said AUTH_FAILED; a gateway that crashed or
            // shut down right after adds no second outcome (the back-off above still applies).
            _events.Refused(Name, keyRefused: reason.StartsWith(Session.TunnelConnection.AuthFailedReason, StringComparison.Ordinal));
        }
        else
        {
            _events.DialFailed(Name);
        }
        if (!_stopping.IsCancellationRequested)
        {
            _ = RetryAfterAsync(delay); // The next Maintain after the delay dials again.
        }
    }

    private async Task RetryAfterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token);
            Maintain();
        }
        catch (OperationCanceledException)
        {
            // Shutting down: no more redials.
        }
    }

    private async Task WatchAsync(PooledLink link)
    {
        var reason = await link.Link.Completion;
        var wasListed = RemoveClosed(link);
        if (wasListed && !link.IsDraining)
        {
            if (link.Slots.Reserved == 0 && _time.GetElapsedTime(link.CreatedTimestamp) < YoungLinkLifetime)
            {
                // Closed right after the handshake without carrying a stream: the gateway refused us after msg3
                // (GOAWAY AUTH_FAILED) or is broken. Back off as for a failed dial, or the pool would redial in a loop.
                Failed(reason, afterHandshake: true);
            }
            else
            {
                Log.Lost(_logger, Name, link.Id, reason, _links.Length);
            }
        }

        await link.Link.DisposeAsync();
        Maintain(); // Replace it (after the backoff when it was refused).
    }
}
