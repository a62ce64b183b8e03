using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace FastRelay.Tunnel.Session;

public sealed partial class TunnelStream
{
    /// <summary>
    /// The reader the relay sees: the inbound pipe's reader, plus the OnRead bookkeeping (each AdvanceTo tells
    /// the connection how many bytes were consumed, which may send a WINDOW_UPDATE) and abort semantics.
    /// </summary>
    private sealed class StreamInput(TunnelStream stream, PipeReader inner) : PipeReader
    {
        private ReadOnlySequence<byte> _last;
        private bool _completed;

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            var bytes = _last.IsEmpty ? 0 : _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
            if (bytes > 0)
            {
                stream.OnConsumed(bytes);
            }
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            inner.Complete(exception);
            stream.Connection.OnInputCompleted(stream);
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ThrowIfAborted();
            var pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                return new ValueTask<ReadResult>(Remember(pending.Result));
            }

            return AwaitAsync(pending);
        }

        public override bool TryRead(out ReadResult result)
        {
            ThrowIfAborted();
            if (inner.TryRead(out result))
            {
                result = Remember(result);
                return true;
            }

            return false;
        }

        // Pooled so a pending read allocates nothing (one per idle period on every stream).
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> pending) => Remember(await pending);

        private ReadResult Remember(ReadResult result)
        {
            ThrowIfAborted();
            _last = result.Buffer;
            return result;
        }

        private void ThrowIfAborted()
        {
            if (stream.LocalReset is { } error)
            {
                throw error;
            }
        }
    }
}
