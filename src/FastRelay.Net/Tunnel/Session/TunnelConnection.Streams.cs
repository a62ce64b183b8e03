using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Streams;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    /// <summary>
    /// Edge side: sends OPEN for <paramref name="target"/> and waits for OPEN_OK (a connected stream) or RST.
    /// REFUSED_STREAM, an OPEN above the peer's GOAWAY, and an OPEN that never left are <c>Retryable</c>: the
    /// target was not dialled, so the pool may try another connection (§4.9).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired (the OPEN is reset).</exception>
    public async ValueTask<TunnelOpenResult> OpenStreamAsync(TunnelTarget target, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        var encoded = new byte[TunnelTargetCodec.GetSize(target)];
        TunnelTargetCodec.Write(target, encoded);
        TunnelStream stream;
        lock (_gate)
        {
            if (!CanOpenLocked() || _streams.Count >= _peerSettings.MaxStreams)
            {
                return new TunnelOpenResult(null, TunnelErrorCode.RefusedStream, Retryable: true);
            }

            if (_ids.Allocated >= (StreamIdAllocator.MaxId / 2) - 1)
            {
                // §4.5: ids near 2^31: drain this connection; the pool opens a new one.
                _ = Task.Run(() => GoAway(TunnelErrorCode.NoError, "stream ids exhausted"), CancellationToken.None);
            }

            var window = ReceiveWindow.TryCreate(_budget, _options.InitialWindowBytes, _time.GetTimestamp());
            if (window is null || !_ids.TryAllocate(out var id))
            {
                window?.Close();
                return new TunnelOpenResult(null, TunnelErrorCode.RefusedStream, Retryable: true);
            }

            stream = new TunnelStream(this, id, _peerSettings.InitialWindow, window, _inboundPipe, _outboundPipe)
            {
                Target = target,
                OpenAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously),
                Ending = new CancellationTokenSource(),
            };
            _streams.Add(id, stream);
            _streamsOpened++;
            Touch();

            // Queued under the lock that allocated the id, so OPENs leave in increasing id order (§4.5).
            EnqueueControl(new ControlFrame(FrameType.Open, 0, id, 0) { Payload = encoded, Stream = stream });
        }

        TunnelErrorCode code;
        try
        {
            code = await stream.OpenAnswer!.Task.WaitAsync(timeout, _time, ct);
        }
        catch (TimeoutException)
        {
            ResetStream(stream, TunnelErrorCode.Cancel, $"OPEN not answered within {timeout.TotalSeconds:0.###} s");
            return new TunnelOpenResult(null, TunnelErrorCode.Timeout, Retryable: !stream.OpenSent);
        }
        catch (OperationCanceledException)
        {
            ResetStream(stream, TunnelErrorCode.Cancel, "the opener gave up");
            throw;
        }

        return code == TunnelErrorCode.NoError
            ? new TunnelOpenResult(stream, code, Retryable: false)
            : new TunnelOpenResult(null, code, Retryable: code == TunnelErrorCode.RefusedStream || !stream.OpenSent);
    }

    /// <summary>Gateway side: the acceptor dialled the target; OPEN_OK goes out. False when the stream was reset meanwhile.</summary>
    internal bool AcceptStream(TunnelStream stream)
    {
        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset || stream.Lifecycle.OnOpened() != StreamEvent.Accepted)
            {
                return false;
            }
        }

        EnqueueControl(new ControlFrame(FrameType.OpenOk, 0, stream.Id, 0) { Stream = stream });
        return true;
    }

    /// <summary>Resets <paramref name="stream"/> from this side: RST(<paramref name="code"/>) goes out, both pipes end with an error. Thread-safe, idempotent.</summary>
    internal void ResetStream(TunnelStream stream, TunnelErrorCode code, string detail)
    {
        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsClosed)
            {
                return; // Already reset, or both FINs passed: nothing to tell the peer.
            }

            stream.Lifecycle.OnReset();
            stream.MarkReset(code);
        }

        EnqueueControl(new ControlFrame(FrameType.Rst, 0, stream.Id, (uint)code));
        FinishReset(stream, code, new TunnelStreamResetException(stream.Id, code, detail), fromReadLoop: false);
    }

    /// <summary>After a reset either way: answers a pending OPEN, cancels a pending dial (and tells the relay), ends both pipes, forgets the stream.</summary>
    private void FinishReset(TunnelStream stream, TunnelErrorCode code, Exception error, bool fromReadLoop)
    {
        stream.OpenAnswer?.TrySetResult(code);
        SignalEnded(stream);
        if (fromReadLoop)
        {
            CompleteInbound(stream, error);
        }
        else
        {
            // Only the read loop writes the inbound pipe; it completes this one at its next turn. The reader
            // learns now.
            stream.FailInputLocally(error);
            _inboundToComplete.Enqueue((stream, error));
        }

        RemoveStream(stream);
        SignalReady(stream); // The write loop completes the outbound reader, so the relay's flush sees the end.
    }

    /// <summary>The consumer drained <paramref name="bytes"/>: maybe a WINDOW_UPDATE (OnRead mode, §4.6).</summary>
    internal void OnConsumed(TunnelStream stream, long bytes)
    {
        var increment = stream.Receive.OnConsumed(bytes, _time.GetTimestamp(), Interlocked.Read(ref _lastRttTicks));
        if (increment == 0)
        {
            return;
        }

        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset || stream.Lifecycle.FinReceived)
            {
                return; // The peer sends no more: no credit needed.
            }
        }

        EnqueueControl(new ControlFrame(FrameType.WindowUpdate, 0, stream.Id, increment));
    }

    /// <summary>The consumer completed Input: reading stops, so a stream still receiving is reset (as a socket closed early resets).</summary>
    internal void OnInputCompleted(TunnelStream stream)
    {
        stream.InputCompleted = true;
        bool stillReceiving;
        lock (stream.Sync)
        {
            stillReceiving = !stream.Lifecycle.IsClosed && !stream.Lifecycle.FinReceived;
        }

        if (stillReceiving)
        {
            ResetStream(stream, TunnelErrorCode.Cancel, "the reader stopped before the end");
        }

        stream.Receive.Close();
        stream.Receive.DiscardBuffered();
    }

    /// <summary>Queues <paramref name="stream"/> for the write loop (new data, FIN, reset, credit). Thread-safe.</summary>
    internal void SignalReady(TunnelStream stream)
    {
        if (stream.TryMarkQueued())
        {
            _ready.Enqueue(stream);
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>Queues a control frame ahead of all DATA. Answers the peer provoked count toward the flood limit (§4.10).</summary>
    private void EnqueueControl(ControlFrame frame)
    {
        if (frame.IsAnswer && Interlocked.Increment(ref _answersQueued) > _flood.Limits.MaxControlQueue)
        {
            Fail(TunnelErrorCode.EnhanceYourCalm, $"more than {_flood.Limits.MaxControlQueue} answers queued: the peer does not read what it provokes");
            return;
        }

        _control.Enqueue(frame);
        _wake.Writer.TryWrite(true);
    }

    private void RemoveStream(TunnelStream stream)
    {
        bool drained;
        lock (_gate)
        {
            if (!_streams.Remove(stream.Id))
            {
                return;
            }

            drained = _streams.Count == 0 && (_goAwaySent || _goAwayReceived);
            Touch();
        }

        stream.Receive.Close();
        if (drained)
        {
            CloseGracefully("drained after GOAWAY");
        }
    }

    private void SignalEnded(TunnelStream stream)
    {
        if (stream.Ending is { } cancellation)
        {
            try
            {
                cancellation.Cancel(); // Runs the registered callbacks here, on the caller's thread (often the read loop).
            }
            catch (ObjectDisposedException)
            {
                // The acceptor already finished and disposed it: nothing left to cancel.
            }
            catch (AggregateException ex)
            {
                // A callback threw (a bug): the stream's end and the other streams' must still be handled.
                Log.UnexpectedError(_logger, _peer, $"stream {stream.Id}'s end callback", ex);
            }
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivityTicks, _time.GetUtcNow().UtcTicks);
}
