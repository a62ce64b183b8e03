using System.Runtime.InteropServices;
using FastRelay.Relaying;
using static FastRelay.Transport.Epoll.LinuxSyscalls;

namespace FastRelay.Transport.Epoll;

/// <summary>Moving the bytes: read, send, hold back, pass a FIN on. On the loop thread.</summary>
internal sealed unsafe partial class EpollRelay
{
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
                loop.ScheduleResume(this, secondSide: flow == _toClient); // Its turn is over; more is waiting.
                return true;
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

    // Sends what the flow holds; once it is all out, passes on a FIN that came meanwhile or reads on.
    private bool Flush(Flow flow)
    {
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
