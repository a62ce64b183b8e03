using System.Buffers;
using System.Net.Sockets;
using System.Threading.Channels;
using FastRelay.Tunnel.Frames;
using FastRelay.Tunnel.Records;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    private const int MaxTurnsPerBatch = 256;

    private ulong _recordsSent;

    /// <summary>
    /// The write loop (§4.6): control frames first, then DATA round-robin across ready streams in chunks of at
    /// most 16 KiB, frames coalesced into records and records into one send. The only user of the send key, so
    /// the rekey switch (§4.8 steps 2-3) happens here, right after the RESP or DONE record is sealed.
    /// </summary>
    private async Task WriteLoopAsync(CancellationToken ct)
    {
        var builder = new RecordBuilder(BatchBytes, Math.Min(_options.MaxRecordBytes, Math.Max(1024, _peerSettings.MaxRecord)));
        var closeAfter = false;

        // The wait below takes no token: with one, the channel allocates a waiter and a registration per wait
        // (per record under request/response traffic). Stopping completes the channel instead, which ends the wait.
        using var wakeOnStop = ct.UnsafeRegister(static writer => ((ChannelWriter<bool>)writer!).TryComplete(), _wake.Writer);
        try
        {
            while (!closeAfter)
            {
                if (!_hasHeldControl && _control.IsEmpty && _ready.IsEmpty)
                {
                    await _wake.Reader.ReadAsync(CancellationToken.None);
                }

                builder.Reset();
                closeAfter = FillBatch(builder);
                builder.SealOpenRecord(_rekey.Send);
                if (!builder.IsEmpty)
                {
                    await _socket.SendAsync(builder.Sealed, SocketFlags.None, ct);
                    _recordsSent += (ulong)builder.RecordsInBatch;
                }
            }

            // The final GOAWAY is out: FIN, so the peer reads it as an orderly end rather than truncation (§4.9).
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            // The connection is closing (or the peer reset it): the read loop or Terminate names the reason.
            Drop("send failed: " + ex.Message);
        }
        catch (Exception ex)
        {
            // A bug or the 2^62 nonce limit (CipherState throws): never leave a connection half-running.
            Log.UnexpectedError(_logger, _peer, "write loop", ex);
            Drop("write loop failed: " + ex.Message);
        }
    }

    /// <summary>Fills one batch; true when the final GOAWAY was written and the loop must stop after sending.</summary>
    private bool FillBatch(RecordBuilder builder)
    {
        // 1. Control frames, all of them if they fit (§4.6: PING, REKEY, GOAWAY, RST, WINDOW_UPDATE first).
        // A frame that did not fit the last batch is held here, not peeked in the queue: a peek pins the queue's
        // segment (ConcurrentQueue then allocates a new one every 32 frames).
        while (TakeControlFrame(out var frame))
        {
            var space = builder.GetFrameSpace(frame.Size, _rekey.Send);
            if (space.IsEmpty)
            {
                (_heldControl, _hasHeldControl) = (frame, true);
                return false;
            }

            builder.Commit(frame.Write(space));
            AfterControlWritten(frame, builder);
            if (frame.CloseAfter)
            {
                return true;
            }
        }

        // 2. DATA, round-robin in 16 KiB turns until the batch is full: a stream with more data goes to the back
        // of the line, so one bulk stream fills 64 KiB records (one AEAD call per 64 KiB, CipherStateBench) while
        // many streams share each batch. A new control frame ends the batch, so it waits at most one batch.
        for (var turns = 0; turns < MaxTurnsPerBatch && _control.IsEmpty && _ready.TryDequeue(out var stream); turns++)
        {
            if (!WriteStreamData(stream, builder))
            {
                SignalReady(stream); // No room left in this batch: first in line for the next.
                return false;
            }
        }

        return false;
    }

    private bool TakeControlFrame(out ControlFrame frame)
    {
        if (_hasHeldControl)
        {
            (frame, _heldControl, _hasHeldControl) = (_heldControl, default, false);
            return true;
        }

        return _control.TryDequeue(out frame);
    }

    private void AfterControlWritten(in ControlFrame frame, RecordBuilder builder)
    {
        if (frame.IsAnswer)
        {
            Interlocked.Decrement(ref _answersQueued);
        }

        if (frame.Stream is { } opened)
        {
            opened.OpenSent = true;
            if (frame.Type == FrameType.OpenOk)
            {
                SignalReady(opened); // Data the gateway's relay wrote meanwhile may go now, after the OPEN_OK.
            }
        }

        if (frame.SwitchSendTo is { } next)
        {
            // §4.8: this record is the last under the old key; everything after it uses the new one.
            builder.SealOpenRecord(_rekey.Send);
            _rekey.SwitchSend(next);
        }
    }

    /// <summary>Writes one chunk of <paramref name="stream"/>'s data (or its FIN); false when the batch is full.</summary>
    private bool WriteStreamData(TunnelStream stream, RecordBuilder builder)
    {
        stream.ClearQueued();
        if (stream.OutboundDone)
        {
            return true;
        }

        long credit;
        lock (stream.Sync)
        {
            if (stream.Lifecycle.IsReset)
            {
                CompleteOutbound(stream);
                return true;
            }

            if (!stream.Lifecycle.IsOpen || !stream.OpenSent)
            {
                return true; // No DATA before OPEN_OK (§4.5); OPEN_OK signals the stream again.
            }

            credit = stream.Send.Available;
        }

        System.IO.Pipelines.ReadResult read;
        try
        {
            if (!stream.OutboundReader.TryRead(out read))
            {
                return true; // Nothing yet: the next flush queues the stream again.
            }
        }
        catch (Exception)
        {
            // The relay completed Output with an error (TryRead rethrows it): StreamOutput already sent RST(CANCEL).
            CompleteOutbound(stream);
            return true;
        }

        var buffer = read.Buffer;
        var take = (int)Math.Min(Math.Min(buffer.Length, DataChunkBytes), credit);
        var finOnly = buffer.IsEmpty && read.IsCompleted;
        if (take == 0 && !finOnly)
        {
            stream.OutboundReader.AdvanceTo(buffer.Start);
            ParkForCredit(stream, buffer.Length > 0);
            return true;
        }

        var space = builder.GetFrameSpace(FrameHeader.Size + Math.Min(take, 1024), _rekey.Send);
        if (space.IsEmpty)
        {
            stream.OutboundReader.AdvanceTo(buffer.Start);
            return false;
        }

        take = Math.Min(take, space.Length - FrameHeader.Size);
        var fin = read.IsCompleted && take == buffer.Length;
        buffer.Slice(0, take).CopyTo(space[FrameHeader.Size..]);
        FrameWriter.WriteDataHeader(space, stream.Id, take, fin);
        builder.Commit(FrameHeader.Size + take);
        stream.OutboundReader.AdvanceTo(buffer.GetPosition(take));
        _rekey.CountSent(take);
        AfterDataWritten(stream, take, fin, buffer.Length > take);
        return true;
    }

    private void AfterDataWritten(TunnelStream stream, int bytes, bool fin, bool more)
    {
        bool closed;
        bool hasCredit;
        lock (stream.Sync)
        {
            stream.Send.Consume(bytes);
            closed = fin && stream.Lifecycle.OnFinSent() == Streams.StreamEvent.Closed;
            hasCredit = stream.Send.Available > 0;
        }

        if (fin)
        {
            CompleteOutbound(stream);
            if (closed)
            {
                RemoveStream(stream);
            }
        }
        else if (more && hasCredit)
        {
            SignalReady(stream); // Round-robin: back of the line.
        }
        else if (more)
        {
            ParkForCredit(stream, hasData: true);
        }
    }

    private void ParkForCredit(TunnelStream stream, bool hasData)
    {
        if (!hasData)
        {
            return;
        }

        bool creditArrived;
        lock (stream.Sync)
        {
            creditArrived = stream.Send.Available > 0;
            stream.WaitingForCredit = !creditArrived;
        }

        if (creditArrived)
        {
            SignalReady(stream); // A WINDOW_UPDATE slipped in between: go on.
        }
    }

    private static void CompleteOutbound(TunnelStream stream)
    {
        if (!stream.OutboundDone)
        {
            stream.OutboundDone = true;
            stream.OutboundReader.Complete();
        }
    }
}
