using System.IO.Pipelines;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelStream
{
    /// <summary>
    /// The writer the relay sees: the outbound pipe's writer, plus a wake-up of the connection's write loop on
    /// every flush and at completion (a clean completion becomes DATA|FIN, an error RST(CANCEL), or at the gateway RST(TARGET_RESET) for a target's TCP reset).
    /// </summary>
    private sealed class StreamOutput(TunnelStream stream, PipeWriter inner) : PipeWriter
    {
        private bool _completed;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Complete(Exception? exception = null)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (exception is not null)
            {
                // The other side of the relay failed: the peer must see a reset, not a clean end (IPipeConnection). At
                // the gateway a TCP reset from the target is TARGET_RESET (§4.4), so the edge can tell it from CANCEL.
                var code = !stream.Connection.IsInitiator && IsPeerReset(exception) ? Frames.TunnelErrorCode.TargetReset : Frames.TunnelErrorCode.Cancel;
                stream.Connection.ResetStream(stream, code, "the local side failed: " + exception.Message);
            }

            inner.Complete(exception);
            stream.Connection.SignalReady(stream);
        }

        private static bool IsPeerReset(Exception? exception)
        {
            for (; exception is not null; exception = exception.InnerException)
            {
                if (exception is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset })
                {
                    return true;
                }
            }

            return false;
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var flush = inner.FlushAsync(cancellationToken);
            stream.Connection.SignalReady(stream);
            return flush;
        }
    }
}
