using System.Net.Security;
using FastRelay.Tls.Native;
using FastRelay.Transport;

namespace FastRelay.Tls;

/// <summary>The receive loop over <see cref="SslRecordReader"/>: OpenSSL reads the socket and decrypts into the pipe's blocks.</summary>
internal sealed partial class TlsPipeConnection
{
    /// <summary>
    /// After <see cref="Start"/>: null when the client's records are read by <see cref="SslRecordReader"/>, else why SslStream
    /// reads them.
    /// </summary>
    internal string? RecordReaderNote { get; private set; }

    /// <summary>
    /// Whether the next connections try <see cref="SslRecordReader"/> (true) or read through SslStream (false: for
    /// the tests and benchmarks of that fallback path, which the edge takes only where the reader cannot be used).
    /// </summary>
    internal bool ReadsRecordsDirectly { get; set; } = true;

    private bool _readsRecords; // For the attached connection: ReadsRecordsDirectly and supported, as Attach found them.

    private readonly byte[] _closeNotify = new byte[64];

    // The close_notify: made here while the record reader has the connection (SslRecordReader.Shutdown says why),
    // else by SslStream. Its 24 bytes fit the buffer, kept for the connection's next clients.
    private ValueTask ShutdownAsync(SslStream stream)
    {
        var alert = _records.Shutdown(_closeNotify);
        return alert.Array is null ? new ValueTask(SslShutdown.ShutdownAsync(stream)) : _transport.WriteAsync(alert.AsMemory());
    }

    private async Task ReceiveRecordsLoopAsync()
    {
        var writer = _receive.Writer;
        Exception? error = null;
        try
        {
            // The first records may be in the socket already (they came with the client's Finished): look first.
            var drained = false;
            while (true)
            {
                if (drained)
                {
                    // Wait for data without holding a block. A stale wake-up costs one Peek below, not a parked block.
                    _ = await _transport.ReadAsync(Memory<byte>.Empty);
                }

                // A block is taken only once a whole record is ready: a client that sent part of one and went quiet
                // (or a stale wake-up) holds none (docs/hardening.md, "A block held by an idle connection").
                var status = _records.Peek();
                var received = 0;
                if (status == SslReadStatus.Full)
                {
                    status = _records.Read(writer.GetMemory(_readBytes).Span, out received);
                    writer.Advance(received);
                }

                drained = status == SslReadStatus.Drained;
                if (status is SslReadStatus.Ended or SslReadStatus.Failed)
                {
                    // Before the flush, which may wait for the upstream: from here OpenSSL must not touch the socket,
                    // not even from SslStream's next write (a failed read can leave the SSL object mid-message).
                    _records.Release();
                }

                if (received > 0)
                {
                    var flush = await writer.FlushAsync();
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        break; // The reader is gone, or we were aborted.
                    }
                }

                if (status == SslReadStatus.Ended)
                {
                    break; // close_notify or FIN from the client: complete Input without an error.
                }

                if (status == SslReadStatus.Failed)
                {
                    error = _records.Failure; // After the bytes that came before it.
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
        {
            error = ex;
        }
        finally
        {
            _records.Release();
        }

        if (error is null && Volatile.Read(ref _aborted) != 0)
        {
            error = new ConnectionAbortedException();
        }

        await writer.CompleteAsync(error);
    }
}
