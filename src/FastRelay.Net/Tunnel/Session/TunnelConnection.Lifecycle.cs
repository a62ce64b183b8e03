using System.Net.Sockets;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelConnection
{
    /// <summary>How long the final GOAWAY and FIN may take, and the peer's FIN after them, before the socket is dropped.</summary>
    private static readonly TimeSpan CloseLinger = TimeSpan.FromSeconds(2);

    private TunnelErrorCode _streamResetCode = TunnelErrorCode.Cancel;

    /// <summary>Raised once, with the close reason, after every stream was reset or finished.</summary>
    public event Action<TunnelConnection, string>? Closed;

    /// <summary>Runs the loops; when the read loop ends, stops the others, resets the streams, and completes.</summary>
    private async Task RunAsync()
    {
        var ct = _stopping.Token;
        var write = Task.Run(() => WriteLoopAsync(ct));
        var timers = Task.Run(() => TimerLoopAsync(ct));
        string? reason;
        try
        {
            reason = await Task.Run(() => ReadLoopAsync(ct));
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(_logger, _peer, "read loop", ex);
            reason = Drop("read loop failed: " + ex.Message);
        }

        reason = Volatile.Read(ref _closeReason) ?? reason ?? "closed";

        // The write loop may still be sending the final GOAWAY: give it the linger, then stop everything.
        await Task.WhenAny(write, Task.Delay(CloseLinger, _time)).ConfigureAwait(false);
        await _stopping.CancelAsync();
        _wake.Writer.TryComplete();
        _socket.Dispose();
        await SettleAsync(write, "write loop");
        await SettleAsync(timers, "timer loop");
        ResetAllStreams(reason);
        _rekey.Dispose();
        Log.Closed(_logger, _peer, reason, StreamsOpened, Epoch, _recordsSent, _recordsReceived);
        _completion.TrySetResult(reason);
        try
        {
            Closed?.Invoke(this, reason);
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(_logger, _peer, "Closed handler", ex);
        }
    }

    /// <summary>
    /// A rule of §4.4-§4.10 was broken by the peer: log the reason, send GOAWAY(<paramref name="code"/>), close.
    /// Returns the close reason (for the read loop to stop with).
    /// </summary>
    private string Fail(TunnelErrorCode code, string reason)
    {
        if (Volatile.Read(ref _closeReason) is null)
        {
            Log.ProtocolViolation(_logger, _peer, code, reason);
        }

        return Terminate($"{code}: {reason}", code, code == TunnelErrorCode.NoError ? TunnelErrorCode.Cancel : code, sendGoAway: true);
    }

    /// <summary>Closes without telling the peer anything (crypto failure, truncation, lost socket: STYLE H5.7).</summary>
    private string Drop(string reason) =>
        Terminate(reason, TunnelErrorCode.Cancel, TunnelErrorCode.Cancel, sendGoAway: false);

    /// <summary>An orderly end: GOAWAY(NO_ERROR), FIN, then wait for the peer's FIN (§4.9).</summary>
    private void CloseGracefully(string reason) =>
        Terminate(reason, TunnelErrorCode.NoError, TunnelErrorCode.ShuttingDown, sendGoAway: true);

    /// <summary>
    /// Records the one close reason (the first wins), stops new streams, and either queues a final GOAWAY (the
    /// write loop sends it and then FIN) or stops the loops at once. Returns the reason in force.
    /// </summary>
    private string Terminate(string reason, TunnelErrorCode goAwayCode, TunnelErrorCode streamCode, bool sendGoAway, IReadOnlyList<TunnelStream>? resetFirst = null)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is { } earlier)
        {
            return earlier;
        }

        uint last;
        lock (_gate)
        {
            _closeRequested = true;
            last = _isInitiator ? 0 : _incoming.Highest;
        }

        _streamResetCode = streamCode;

        // RST frames that must reach the peer ahead of the final GOAWAY (a drain deadline's). After the reason is
        // set, so the last stream's end does not close the connection under another name first.
        foreach (var stream in resetFirst ?? [])
        {
            ResetStream(stream, streamCode, reason);
        }

        if (sendGoAway)
        {
            _control.Enqueue(new ControlFrame(FrameType.GoAway, 0, 0, (uint)goAwayCode) { LastStreamId = last, Debug = reason, CloseAfter = true });
            _wake.Writer.TryWrite(true);

            // Unblock the read loop if the peer never sends its FIN.
            _ = Task.Delay(CloseLinger, _time).ContinueWith(_ => _stopping.Cancel(), TaskScheduler.Default);
        }
        else
        {
            _stopping.Cancel();
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed or reset: the loops see the end either way.
            }
        }

        return reason;
    }

    /// <summary>After the loops ended: every stream left is reset with the connection's close code.</summary>
    private void ResetAllStreams(string reason)
    {
        List<TunnelStream> streams;
        lock (_gate)
        {
            streams = [.. _streams.Values];
            _streams.Clear();
        }

        CompleteDeferredInbound();
        foreach (var stream in streams)
        {
            lock (stream.Sync)
            {
                stream.Lifecycle.OnReset();
                stream.MarkReset(_streamResetCode);
            }

            var error = new TunnelStreamResetException(stream.Id, _streamResetCode, "tunnel closed: " + reason);
            stream.OpenAnswer?.TrySetResult(_streamResetCode);
            SignalEnded(stream);
            CompleteInbound(stream, error);
            CompleteOutbound(stream);
            stream.Receive.Close();
        }
    }

    private async Task SettleAsync(Task loop, string name)
    {
        try
        {
            await loop;
        }
        catch (Exception ex)
        {
            Log.UnexpectedError(_logger, _peer, name, ex);
        }
    }
}
