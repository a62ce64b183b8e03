using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>A GOAWAY from the peer (tunnel.md §4.9): no new streams above its last id; the connection drains.</summary>
public sealed partial class TunnelConnection
{
    private string? OnGoAway(in Frame frame)
    {
        var last = frame.FirstWord;
        var code = frame.GoAwayCode;
        var debug = frame.GoAwayDebug;
        Log.GoAwayReceived(_logger, _peer, last, code, debug.Length > 0 ? debug : "(no debug text)"); // A gateway tells a refused edge no more.
        List<TunnelStream> refused = [];
        bool idle;
        lock (_gate)
        {
            _goAwayReceived = true;
            foreach (var stream in _streams.Values)
            {
                if (stream.Id > last && stream.OpenAnswer is { Task.IsCompleted: false })
                {
                    refused.Add(stream);
                }
            }

            idle = _streams.Count == refused.Count;
        }

        // §4.9: OPENs above last_stream_id were not processed: the opener retries them elsewhere.
        foreach (var stream in refused)
        {
            lock (stream.Sync)
            {
                stream.Lifecycle.OnReset();
                stream.MarkReset(TunnelErrorCode.RefusedStream);
            }

            FinishReset(stream, TunnelErrorCode.RefusedStream, new TunnelStreamResetException(stream.Id, TunnelErrorCode.RefusedStream, "above the peer's GOAWAY"), fromReadLoop: true);
        }

        if (idle)
        {
            // The peer's code and text are the close reason (the pool's dial-failed line and /status show it): a gateway
            // that does not pin our key says AuthFailed here, and only here.
            CloseGracefully(code switch
            {
                TunnelErrorCode.NoError => "GOAWAY received, no streams left",
                TunnelErrorCode.AuthFailed => $"{AuthFailedReason}: the peer refused our static key{(debug.Length > 0 ? $" ({debug})" : "")}",
                _ => $"GOAWAY {code} received{(debug.Length > 0 ? $" ({debug})" : "")}, no streams left",
            });
        }

        return null;
    }
}
