using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Handshake;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    /// <summary>
    /// Pings, the dead-peer detector (§4.7), rekey triggers and timeouts (§4.8), and the drain deadline (§4.9):
    /// one tick per ping interval.
    /// </summary>
    private async Task TimerLoopAsync(CancellationToken ct)
    {
        var nextRekey = NextRekeyAge();
        try
        {
            while (true)
            {
                await Task.Delay(_options.PingInterval, _time, ct);
                var now = _time.GetTimestamp();
                if (CheckLiveness(now) || CheckRekey(now, ref nextRekey) || CheckDrain(now))
                {
                    return;
                }

                EnqueueControl(new ControlFrame(FrameType.Ping, 0, 0, 0, (ulong)now));
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing: the loops' owner records the reason.
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(_logger, _peer, "timer loop", ex);
            Fail(TunnelErrorCode.Internal, "timer loop failed: " + ex.Message);
        }
    }

    /// <summary>Dead after ping_miss_limit × the longer interval without any record (§4.7); true when it closed.</summary>
    private bool CheckLiveness(long now)
    {
        var silence = now - Interlocked.Read(ref _lastReceivedTimestamp);
        if (silence <= Ticks(DeadAfter()))
        {
            return false;
        }

        var silenceMs = silence * 1000.0 / _time.TimestampFrequency;
        Log.Dead(_logger, _peer, silenceMs, _options.PingMissLimit, OpenStreams);
        Terminate($"dead: nothing received for {silenceMs:0} ms", TunnelErrorCode.Timeout, TunnelErrorCode.Timeout, sendGoAway: false);
        return true;
    }

    /// <summary>Starts a rekey when due (edge), fails one that timed out, enforces the epoch age (gateway); true when it closed.</summary>
    private bool CheckRekey(long now, ref long nextRekeyAge)
    {
        if (_rekey.IsPending)
        {
            if (now <= _rekey.StepDeadline)
            {
                return false;
            }

            var step = _isInitiator ? "RESP" : "DONE";
            Fail(TunnelErrorCode.RekeyError, $"REKEY {step} not received within {_options.RekeyStepTimeout.TotalSeconds:0} s");
            return true;
        }

        var age = now - _rekey.EpochStart;
        if (!_isInitiator)
        {
            if (age <= Ticks(_maxEpochAge))
            {
                return false;
            }

            Fail(TunnelErrorCode.RekeyError, $"epoch {Epoch} is older than the max epoch age ({_maxEpochAge.TotalSeconds:0} s): the edge stopped rekeying");
            return true;
        }

        if (age < nextRekeyAge && !_rekey.VolumeExceeded)
        {
            return false;
        }

        // Step 1: INIT under the epoch-N key.
        if (_rekey.TryBeginAsInitiator(now + Ticks(_options.RekeyStepTimeout), out var epoch) is { } message)
        {
            EnqueueControl(RekeyState.Frame(FrameFlags.RekeyInit, epoch, message, null));
        }

        nextRekeyAge = NextRekeyAge();
        return false;
    }

    private bool CheckDrain(long now)
    {
        List<TunnelStream> open;
        lock (_gate)
        {
            if (!_goAwaySent || now < _drainDeadline)
            {
                return false;
            }

            open = [.. _streams.Values];
        }

        // §4.9: the streams still open get RST(SHUTTING_DOWN) on the wire, ahead of the final GOAWAY, so the peer
        // records them as ended by a drain rather than as a lost connection.
        Log.DrainDeadlinePassed(_logger, _peer, open.Count);
        Terminate("drain deadline passed", TunnelErrorCode.NoError, TunnelErrorCode.ShuttingDown, sendGoAway: true, resetFirst: open);
        return true;
    }

    /// <summary>The rekey interval ±10 % (§4.8), so a pool's connections do not all rekey at once.</summary>
    private long NextRekeyAge() =>
        (long)(Ticks(_rekeyInterval) * (0.9 + (0.2 * Random.Shared.NextDouble())));

    /// <summary>
    /// The two ends announce their rekey interval and max epoch age in the handshake (§4.2). The edge honours the
    /// gateway's: it rekeys early enough for the gateway's max epoch age (its interval, +10 % jitter and one step timeout,
    /// fits inside it); without this an edge with --rekey-interval 10m was cut off by a default gateway (270 s) with
    /// REKEY_ERROR on every connection. The gateway keeps its own limit whatever the edge announces: the age of an
    /// epoch bounds how long a revoked peer's connection can live (CA mode re-checks at each rekey), so the edge must
    /// not be able to stretch it.
    /// </summary>
    internal static (TimeSpan RekeyInterval, TimeSpan MaxEpochAge) EpochLimits(TunnelConnectionOptions options, TunnelSettings peer)
    {
        var peerMaxAge = TimeSpan.FromSeconds(peer.MaxEpochAgeSeconds);
        var fits = (peerMaxAge - options.RekeyStepTimeout) / 1.1;
        var rekeyInterval = fits > TimeSpan.Zero && fits < options.RekeyInterval ? fits
            : fits <= TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(options.RekeyInterval.Ticks, (peerMaxAge / 2.2).Ticks))
            : options.RekeyInterval;
        return (rekeyInterval, options.EffectiveMaxEpochAge);
    }
}
