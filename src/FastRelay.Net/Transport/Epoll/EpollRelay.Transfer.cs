using System.Runtime.InteropServices;
using FastRelay.Relaying;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>Moving the bytes: read, send (or splice), hold back, pass a FIN on. On the loop thread.</summary>
/// <remarks>
/// Small reads are copied through the loop's block: one recv and one send. A flow whose read fills a whole block is
/// bulk, and from then on splices whenever its loop has a pipe for it: splice(2) from the socket into the pipe and from
/// the pipe into the other socket moves page references, so the relay copies nothing (HAProxy does the same). A flow
/// keeps its pipe only while it reads on or its sink is full; once its source is drained (or its read budget is spent)
/// the pipe goes back, empty, to the loop for the next bulk flow.
/// </remarks>
internal sealed unsafe partial class EpollRelay
{
    /// <summary>Bytes asked of one splice from a socket; the pipe's capacity (16 page slots by default) bounds what moves.</summary>
    private const int SpliceRequest = 1 << 20;

    // Reads from flow.From and sends to flow.To until the source is drained, the sink is full, or the flow ends.
    // False when the relay finished (nothing of it may be touched after that).
    private bool Pump(Flow flow)
    {
        if (flow.SourceEnded || flow.Count > 0)
        {
            return true; // Ended, or waiting for the sink to drain (EPOLLOUT resumes it).
        }

        var loop = _loop!;
        for (var reads = 0; ; reads++)
        {
            if (reads == ReadBudget)
            {
                ReturnEmptyPipe(flow);
                loop.ScheduleResume(this, secondSide: flow == _toClient); // Its turn is over; more is waiting.
                return true;
            }

            if (flow.Bulk && !flow.Urgent && (flow.Pipe is not null || TakePipe(flow)))
            {
                var step = SpliceOnce(flow);
                if (step == SpliceStep.ReadOn)
                {
                    continue;
                }

                if (step != SpliceStep.CopyThisRound)
                {
                    return step == SpliceStep.Wait;
                }
            }

            var block = loop.Scratch;
            var span = block.Memory.Span;
            fixed (byte* buffer = span)
            {
                var received = Receive(flow.From, buffer, span.Length, 0);
                if (received < 0)
                {
                    var error = Marshal.GetLastPInvokeError();
                    if (error == EAGAIN)
                    {
                        return true;
                    }

                    if (error == EINTR)
                    {
                        continue;
                    }

                    return Fail(flow, sourceFailed: true);
                }

                if (received == 0)
                {
                    flow.SourceEnded = true; // FIN: pass it on; nothing is held (Count was 0).
                    return EndFlow(flow);
                }

                flow.Bytes += received;
                _moved = true;
                flow.Bulk |= received == span.Length && !flow.Urgent; // Splice from the next read on (when a pipe is free).
                var sent = SendAll(flow.To, buffer, received);
                if (sent < 0)
                {
                    return Fail(flow, sourceFailed: false);
                }

                if (sent < received)
                {
                    // The sink is full: keep the rest in this very block (no copy) and stop reading until EPOLLOUT.
                    WatchWritable(flow);
                    flow.Held = loop.TakeScratch();
                    flow.Offset = (int)sent;
                    flow.Count = (int)(received - sent);
                    return true;
                }

                if (received < span.Length && !flow.PeerClosing)
                {
                    // A short read drained the socket: more data raises a new edge (nginx reads the same way), so
                    // the recv that would only say EAGAIN is saved. Not once the peer has shut down: its FIN raises
                    // no edge of its own after this read, so read on until recv says 0.
                    return true;
                }
            }
        }
    }

    private enum SpliceStep
    {
        ReadOn, // All of it went out: splice the next round.
        CopyThisRound, // splice saw the end: the copy path's recv decides what it was.
        Wait, // The source is drained or the sink is full: the next event goes on.
        Finished, // The relay ended.
    }

    // One splice round, source to pipe to sink.
    private SpliceStep SpliceOnce(Flow flow)
    {
        var pipe = flow.Pipe!.Value;
        var moved = Splice(flow.From, null, pipe.Write, null, SpliceRequest, SpliceMove | SpliceNonBlocking);
        if (moved < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == EAGAIN)
            {
                // The source is drained (the pipe was empty, so it was not the pipe that was full), or splice is stuck at
                // a TCP urgent mark: then EPOLLPRI is on its way and turns this flow to the copy path (Flow.Urgent).
                ReturnEmptyPipe(flow);
                return SpliceStep.Wait;
            }

            if (error == EINTR)
            {
                return SpliceStep.ReadOn;
            }

            _ = Fail(flow, sourceFailed: true);
            return SpliceStep.Finished;
        }

        if (moved == 0)
        {
            // The FIN, or the TCP urgent mark with the FIN behind it: splice stops at the mark and never skips the urgent
            // byte, recv does. So a recv decides (one more call at the end of a bulk flow).
            ReturnEmptyPipe(flow);
            return SpliceStep.CopyThisRound;
        }

        flow.Bytes += moved;
        _moved = true;
        flow.Count = (int)moved;
        if (!DrainPipe(flow))
        {
            _ = Fail(flow, sourceFailed: false);
            return SpliceStep.Finished;
        }

        if (flow.Count > 0)
        {
            WatchWritable(flow); // The sink is full: the bytes wait in the pipe, which the flow keeps, until EPOLLOUT.
            return SpliceStep.Wait;
        }

        return SpliceStep.ReadOn;
    }

    // Splices what the flow's pipe holds into the sink, until it is empty or the sink is full. False when the sink failed.
    private static bool DrainPipe(Flow flow)
    {
        var pipe = flow.Pipe!.Value;
        while (flow.Count > 0)
        {
            var sent = Splice(pipe.Read, null, flow.To, null, flow.Count, SpliceMove | SpliceNonBlocking);
            if (sent > 0)
            {
                flow.Count -= (int)sent;
                continue;
            }

            var error = sent < 0 ? Marshal.GetLastPInvokeError() : EAGAIN;
            if (error == EAGAIN)
            {
                return true;
            }

            if (error != EINTR)
            {
                return false;
            }
        }

        return true;
    }

    private bool TakePipe(Flow flow)
    {
        if (!_loop!.TryTakePipe(out var pipe))
        {
            return false; // The budget is used up by flows waiting on slow receivers: copy this round.
        }

        flow.Pipe = pipe;
        return true;
    }

    private void ReturnEmptyPipe(Flow flow)
    {
        if (flow.Pipe is { } pipe && flow.Count == 0)
        {
            flow.Pipe = null;
            _loop!.ReturnPipe(pipe);
        }
    }

    // Sends what the flow holds; once it is all out, passes on a FIN that came meanwhile or reads on.
    private bool Flush(Flow flow)
    {
        if (flow.Pipe is not null)
        {
            var before = flow.Count;
            if (!DrainPipe(flow))
            {
                return Fail(flow, sourceFailed: false);
            }

            _moved |= flow.Count < before;
            if (flow.Count > 0)
            {
                return true;
            }

            ReturnEmptyPipe(flow);
            return flow.SourceEnded ? EndFlow(flow) : Pump(flow);
        }

        var held = flow.Held!;
        fixed (byte* buffer = held.Memory.Span)
        {
            var sent = SendAll(flow.To, buffer + flow.Offset, flow.Count);
            if (sent < 0)
            {
                return Fail(flow, sourceFailed: false);
            }

            flow.Offset += (int)sent;
            flow.Count -= (int)sent;
            _moved |= sent > 0;
        }

        if (flow.Count > 0)
        {
            return true;
        }

        flow.Held = null;
        held.Dispose(); // Back to the pool: a drained connection holds no block.
        return flow.SourceEnded ? EndFlow(flow) : Pump(flow);
    }

    // Total sent (less than count when the socket buffer filled: EAGAIN), or -1 when the peer cannot take bytes.
    private static nint SendAll(int socket, byte* buffer, nint count)
    {
        nint total = 0;
        while (total < count)
        {
            var sent = Send(socket, buffer + total, count - total, MsgNoSignal);
            if (sent >= 0)
            {
                total += sent;
                continue;
            }

            var error = Marshal.GetLastPInvokeError();
            if (error == EAGAIN)
            {
                break;
            }

            if (error != EINTR)
            {
                return -1;
            }
        }

        return total;
    }

    // The source sent FIN and every byte before it was sent on: FIN to the sink. The relay ends with the second flow.
    private bool EndFlow(Flow flow)
    {
        if (Shutdown(flow.To, ShutWrite) != 0)
        {
            return Fail(flow, sourceFailed: false); // The sink is gone (ENOTCONN after its reset).
        }

        flow.Ended = true;
        _relay!.DirectionEnded?.Invoke(flow.Direction);
        if (_toUpstream.Ended && _toClient.Ended)
        {
            Finish();
            return false;
        }

        return true;
    }

    // The sink of this flow is full: have the loop report when it drains (once per socket; it stays watched).
    private void WatchWritable(Flow flow)
    {
        if (!flow.SinkWatched)
        {
            flow.SinkWatched = true;
            _loop!.Watch(this, flow.To, secondSide: flow == _toUpstream, ReadEvents | EPOLLOUT);
        }
    }
}
