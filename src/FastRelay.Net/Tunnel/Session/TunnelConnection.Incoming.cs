using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Streams;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    /// <summary>Gateway: an OPEN (§4.5). Checks the id rules and limits, then hands the stream to the acceptor on a task of its own.</summary>
    private string? OnOpen(in Frame frame)
    {
        if (_isInitiator || _acceptor is null)
        {
            return Fail(TunnelErrorCode.ProtocolError, $"OPEN of stream {frame.StreamId} sent to the edge (v1 streams are opened by the edge)");
        }

        var id = frame.StreamId;
        var highest = _incoming.Highest;
        if (_incoming.Accept(id) == IncomingIdKind.Invalid)
        {
            return Fail(TunnelErrorCode.ProtocolError, $"OPEN with stream id {id} (expected odd and above {highest})");
        }

        if (!TunnelTargetCodec.TryRead(frame.Body, out var target, out var reason))
        {
            return Fail(TunnelErrorCode.ProtocolError, $"{reason} on stream {id}");
        }

        TunnelStream stream;
        lock (_gate)
        {
            var refusal = _goAwaySent && id > _goAwayLastId ? "above the last stream id of our GOAWAY"
                : _closeRequested ? "closing"
                : _streams.Count >= _options.MaxStreams ? $"{_options.MaxStreams} streams open (max streams)"
                : null;
            var window = refusal is null ? ReceiveWindow.TryCreate(_budget, _options.InitialWindowBytes, _time.GetTimestamp()) : null;
            if (refusal is not null || window is null)
            {
                var why = refusal ?? "the receive budget is full";
                Log.StreamRefused(_logger, _peer, id, why);
                EnqueueControl(new ControlFrame(FrameType.Rst, 0, id, (uint)TunnelErrorCode.RefusedStream) { IsAnswer = true });
                return CheckFlood(_flood.OnReset(_time.GetTimestamp()));
            }

            stream = new TunnelStream(this, id, _peerSettings.InitialWindow, window, _inboundPipe, _outboundPipe)
            {
                Target = target,
                Ending = new CancellationTokenSource(),
            };
            _streams.Add(id, stream);
            _streamsOpened++;
            Touch();
        }

        _ = Task.Run(() => RunAcceptorAsync(stream, target!));
        return null;
    }

    private async Task RunAcceptorAsync(TunnelStream stream, TunnelTarget target)
    {
        var request = new TunnelStreamRequest(this, stream, target);
        using var cancellation = stream.Ending!;
        try
        {
            await _acceptor!.AcceptAsync(request, cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The edge reset the OPEN or the connection closed: the dial was abandoned, as intended (Rapid Reset).
        }
        catch (Exception ex)
        {
            Log.AcceptorFailed(_logger, _peer, stream.Id, target, ex);
        }

        // Returning without an answer means nobody will pump this stream.
        request.Reject(TunnelErrorCode.Internal);
        stream.Ending = null;
    }

    /// <summary>REKEY frames (§4.8): INIT and DONE reach the gateway, RESP the edge.</summary>
    private string? OnRekey(in Frame frame)
    {
        try
        {
            return OnRekeyCore(frame);
        }
        catch (InvalidOperationException ex)
        {
            // RekeyHandshake.WriteMessage: an all-zero DH output (a low-order point) — the peer is hostile.
            return Fail(TunnelErrorCode.RekeyError, "rekey failed: " + ex.Message);
        }
    }

    private string? OnRekeyCore(in Frame frame)
    {
        var epoch = frame.FirstWord;
        var now = _time.GetTimestamp();
        string? failure;
        switch (frame.Header.Flags)
        {
            case FrameFlags.RekeyInit when !_isInitiator:
                // Step 2: RESP is our last epoch-N record; the write loop switches the send key right after it.
                failure = _rekey.OnInit(epoch, frame.RekeyMessage, now + Ticks(_options.RekeyStepTimeout), out var response, out var nextSend);
                if (failure is null)
                {
                    EnqueueControl(RekeyState.Frame(FrameFlags.RekeyResp, epoch, response, nextSend));
                }

                break;
            case FrameFlags.RekeyResp when _isInitiator:
                // Step 3: switch receive after this record (read loop), send after DONE (write loop).
                failure = _rekey.OnResp(epoch, frame.RekeyMessage, now, out var doneSend);
                if (failure is null)
                {
                    EnqueueControl(RekeyState.Frame(FrameFlags.RekeyDone, epoch, null, doneSend));
                    Log.Rekeyed(_logger, _peer, epoch);
                    return RecheckPeer(epoch);
                }

                break;
            case FrameFlags.RekeyDone when !_isInitiator:
                // Step 4: switch receive after this record.
                failure = _rekey.OnDone(epoch, now);
                if (failure is null)
                {
                    Log.Rekeyed(_logger, _peer, epoch);
                    return RecheckPeer(epoch);
                }

                break;
            default:
                failure = $"REKEY flags 0x{frame.Header.Flags:x2} sent to the {(_isInitiator ? "edge" : "gateway")} (only the edge initiates)";
                break;
        }

        return failure is null ? null : Fail(TunnelErrorCode.RekeyError, failure);
    }

    /// <summary>
    /// The peer re-check of a rekey, now (a gateway's reload of <c>--edge-key</c>): true when the peer is no longer
    /// accepted and the connection is closing with GOAWAY(AUTH_FAILED). Thread-safe.
    /// </summary>
    public bool RecheckPeerNow() => _recheck is not null && Volatile.Read(ref _closeReason) is null && RecheckPeer(Epoch) is not null;

    /// <summary>
    /// After this side completed a rekey: is the peer still accepted (tunnel.md §4.8 — in CA mode its chain, revocation and
    /// binding_not_after)? A certificate that expired or was revoked since the handshake ends the connection with
    /// GOAWAY(AUTH_FAILED); its streams are reset, and the edge's pool dials a replacement.
    /// </summary>
    private string? RecheckPeer(uint epoch)
    {
        if (_recheck is null)
        {
            return null;
        }

        string? reason;
        try
        {
            reason = _recheck();
        }
        catch (Exception ex)
        {
            // The hook must not throw; if it does, the peer can no longer be vouched for, so it is not kept.
            reason = "recheck failed: " + ex.Message;
        }

        if (reason is null)
        {
            return null;
        }

        Log.RecheckFailed(_logger, _peer, epoch, reason);
        return Terminate($"{TunnelErrorCode.AuthFailed}: {reason}", TunnelErrorCode.AuthFailed, TunnelErrorCode.AuthFailed, sendGoAway: true);
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
