using System.Buffers;
using System.Net.Sockets;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Records;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    private ulong _recordsReceived;

    /// <summary>
    /// The read loop: records off the socket, checked and opened in place, frames dispatched. It never awaits a
    /// stream's consumer (§4.6). Returns the close reason when the peer or the input ends the connection, or
    /// null when the connection was closed from this side.
    /// </summary>
    private async Task<string?> ReadLoopAsync(CancellationToken ct)
    {
        // 128 KiB: a maximum record (65,537 bytes) plus as much read-ahead. The length check (below) runs before a
        // record's body is awaited, and this one pooled buffer is all a connection holds for input (§4.10:
        // nothing is sized by the claimed length).
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        var (start, end) = (0, 0);
        try
        {
            while (true)
            {
                CompleteDeferredInbound();

                // 1. Open every complete record in the buffer.
                while (end - start >= FrameLimits.RecordLengthSize)
                {
                    if (!RecordCodec.TryReadLength(buffer.AsSpan(start), _options.MaxRecordBytes, out var length, out var error))
                    {
                        return Fail(error.Code, error.Reason);
                    }

                    var size = FrameLimits.RecordLengthSize + length;
                    if (end - start < size)
                    {
                        break;
                    }

                    var record = buffer.AsSpan(start, size);
                    if (!RecordCodec.TryOpen(_rekey.Receive, record))
                    {
                        Log.RecordAuthenticationFailed(_logger, _peer, _recordsReceived);
                        return Drop($"record #{_recordsReceived} authentication failed");
                    }

                    // 2. Any authenticated record proves the peer alive (§4.7, hashicorp/yamux#38).
                    _recordsReceived++;
                    Interlocked.Exchange(ref _lastReceivedTimestamp, _time.GetTimestamp());
                    _rekey.CountReceived(size);
                    start += size;
                    if (ProcessRecord(RecordCodec.Plaintext(record)) is { } reason)
                    {
                        return reason;
                    }

                    // 3. §4.8: a RESP or DONE was the peer's last record under the old key; switch after it.
                    _rekey.SwitchReceiveIfPending();
                }

                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    (start, end) = (0, end - start);
                }

                // 4. Read more. (A peer that provokes answers faster than it reads them is cut off at 1024
                // queued answers, EnqueueControl; grpc-go#2970.)
                var received = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, ct);
                if (received == 0)
                {
                    return OnEndOfStream(end);
                }

                end += received;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return Volatile.Read(ref _closeReason) is null ? Drop("connection lost: " + ex.Message) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string? OnEndOfStream(int bufferedBytes)
    {
        if (bufferedBytes > 0)
        {
            Log.Truncated(_logger, _peer, $"EOF inside a record ({bufferedBytes} bytes of it received)");
            return Drop("truncated record");
        }

        if (!_goAwayReceived)
        {
            // Noise §14 leaves termination to the application: an EOF without GOAWAY may be an attacker's cut.
            Log.Truncated(_logger, _peer, "EOF without GOAWAY");
            return Drop("closed by the peer without GOAWAY");
        }

        return Drop("closed by the peer");
    }

    /// <summary>Dispatches every frame of one record; returns a close reason to stop, null to go on.</summary>
    private string? ProcessRecord(ReadOnlySpan<byte> plaintext)
    {
        var reader = new FrameReader(plaintext);
        while (true)
        {
            switch (reader.TryReadNext(out var frame, out var error))
            {
                case FrameReadStatus.End:
                    return null;
                case FrameReadStatus.Error:
                    return Fail(error.Code, error.Reason);
                case FrameReadStatus.Ignored:
                    if (CheckFlood(_flood.OnUselessFrame(_time.GetTimestamp())) is { } flood)
                    {
                        return flood;
                    }

                    continue;
            }

            var outcome = frame.Type switch
            {
                FrameType.Data => OnData(frame),
                FrameType.WindowUpdate => OnWindowUpdate(frame),
                FrameType.Open => OnOpen(frame),
                FrameType.OpenOk => OnOpenOk(frame),
                FrameType.Rst => OnRst(frame),
                FrameType.Ping => OnPing(frame),
                FrameType.GoAway => OnGoAway(frame),
                _ => OnRekey(frame),
            };
            if (outcome is not null || Volatile.Read(ref _closeReason) is not null)
            {
                return outcome ?? Volatile.Read(ref _closeReason);
            }
        }
    }

    /// <summary>
    /// The stream a frame names. Null with a null reason for an id at or below the highest seen that has no
    /// stream: the frame raced with an RST and is ignored (§4.5), though it counts toward flood limits.
    /// </summary>
    private TunnelStream? FindStream(in Frame frame, out string? failure)
    {
        failure = null;
        lock (_gate)
        {
            if (_streams.TryGetValue(frame.StreamId, out var stream))
            {
                return stream;
            }
        }

        var seen = _isInitiator ? frame.StreamId % 2 == 1 && frame.StreamId < 2 * _ids.Allocated + 1 : _incoming.WasSeen(frame.StreamId);
        failure = seen
            ? CheckFlood(_flood.OnUselessFrame(_time.GetTimestamp()))
            : Fail(TunnelErrorCode.ProtocolError, $"{frame.Type} frame for stream {frame.StreamId}, which was never opened");
        return null;
    }

    private string? OnData(in Frame frame)
    {
        if (FindStream(frame, out var failure) is not { } stream)
        {
            return failure;
        }

        var fin = frame.Has(FrameFlags.Fin);
        Streams.StreamEvent change;
        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset)
            {
                return null; // Raced with our RST.
            }

            change = stream.Lifecycle.OnDataReceived(fin);
        }

        if (change == Streams.StreamEvent.Violation)
        {
            return Fail(TunnelErrorCode.ProtocolError, $"DATA on stream {stream.Id} " + (stream.Lifecycle.FinReceived ? "after its FIN" : "before OPEN_OK"));
        }

        if (!stream.Receive.TryReceive(frame.Body.Length))
        {
            return Fail(TunnelErrorCode.FlowControl, $"DATA of {frame.Body.Length} bytes on stream {stream.Id} exceeds its credit");
        }

        if (!stream.InboundDone && !stream.InputCompleted && !frame.Body.IsEmpty)
        {
            stream.InboundWriter.Write(frame.Body);

            // Never waits: the inbound pipe has no pause threshold; the credit bounds it.
            var flush = stream.InboundWriter.FlushAsync();
            System.Diagnostics.Debug.Assert(flush.IsCompleted, "the inbound pipe never pauses its writer");
        }

        if (fin)
        {
            CompleteInbound(stream, null); // The peer's FIN: Input completes cleanly, the relay sends our FIN onward.
        }

        if (change == Streams.StreamEvent.Closed)
        {
            RemoveStream(stream);
        }

        return null;
    }

    private string? OnWindowUpdate(in Frame frame)
    {
        if (FindStream(frame, out var failure) is not { } stream)
        {
            return failure;
        }

        bool wake;
        lock (stream.Sync)
        {
            if (!stream.Send.TryGrant(frame.FirstWord))
            {
                return Fail(TunnelErrorCode.FlowControl,
                    $"WINDOW_UPDATE of {frame.FirstWord} on stream {stream.Id} takes its credit past 2^31-1 (had {stream.Send.Available})");
            }

            wake = stream.WaitingForCredit;
            stream.WaitingForCredit = false;
        }

        if (wake)
        {
            SignalReady(stream);
        }

        return null;
    }

    private string? OnRst(in Frame frame)
    {
        if (FindStream(frame, out var failure) is not { } stream)
        {
            return failure;
        }

        var code = (TunnelErrorCode)frame.FirstWord;
        bool answersOurOpen;
        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset)
            {
                return null;
            }

            answersOurOpen = _isInitiator && !stream.Lifecycle.IsOpen;
            stream.Lifecycle.OnReset();
            stream.MarkReset(code);
        }

        FinishReset(stream, code, new TunnelStreamResetException(stream.Id, code, "reset by the peer"), fromReadLoop: true);

        // A refusal of one of our own OPENs (a full gateway's REFUSED_STREAM, a target it cannot reach) is bounded by the
        // OPENs we send: only resets of streams the peer had accepted count toward the Rapid Reset guard, or a busy edge
        // would close a whole connection, live streams and all, because its gateway is full.
        return answersOurOpen ? null : CheckFlood(_flood.OnReset(_time.GetTimestamp()));
    }

    private string? OnOpenOk(in Frame frame)
    {
        if (!_isInitiator)
        {
            return Fail(TunnelErrorCode.ProtocolError, $"OPEN_OK on stream {frame.StreamId} sent to the gateway");
        }

        if (FindStream(frame, out var failure) is not { } stream)
        {
            return failure;
        }

        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset)
            {
                return null; // Our RST (timeout, cancel) crossed it.
            }

            if (stream.Lifecycle.OnOpened() == Streams.StreamEvent.Violation)
            {
                return Fail(TunnelErrorCode.ProtocolError, $"second OPEN_OK on stream {stream.Id}");
            }
        }

        stream.OpenAnswer?.TrySetResult(TunnelErrorCode.NoError);
        return null;
    }

    private string? OnPing(in Frame frame)
    {
        if (frame.Has(FrameFlags.Ack))
        {
            var rtt = _time.GetTimestamp() - (long)frame.PingPayload;
            if (rtt >= 0 && rtt < 60 * _time.TimestampFrequency)
            {
                Interlocked.Exchange(ref _lastRttTicks, Math.Max(1, rtt));
            }

            return null;
        }

        if (CheckFlood(_flood.OnPing(_time.GetTimestamp())) is { } flood)
        {
            return flood;
        }

        EnqueueControl(new ControlFrame(FrameType.Ping, FrameFlags.Ack, 0, 0, frame.PingPayload) { IsAnswer = true });
        return null;
    }

    private static void CompleteInbound(TunnelStream stream, Exception? error)
    {
        if (!stream.InboundDone)
        {
            stream.InboundDone = true;
            stream.InboundWriter.Complete(error);
        }
    }

    private void CompleteDeferredInbound()
    {
        while (_inboundToComplete.TryDequeue(out var item))
        {
            CompleteInbound(item.Stream, item.Error);
        }
    }

    private string? CheckFlood(Streams.FloodKind kind)
    {
        if (kind == Streams.FloodKind.None)
        {
            return null;
        }

        Log.Flood(_logger, _peer, kind.ToString());
        return Terminate($"ENHANCE_YOUR_CALM: flood of {kind}", TunnelErrorCode.EnhanceYourCalm, TunnelErrorCode.EnhanceYourCalm, sendGoAway: true);
    }
}
