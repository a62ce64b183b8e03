using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace FastRelay.Relaying;

/// <summary>
/// Copies one direction of a relay, from a <see cref="PipeReader"/> to a <see cref="PipeWriter"/>, with
/// back-pressure (the writer's pause threshold stops reading) and half-close (the source's FIN completes the
/// destination, which then sends its own FIN). The hot path of every relayed byte.
/// </summary>
/// <remarks>
/// Allocation-free per chunk after warm-up: no per-read task, buffer or closure (bench: PipePumpBench).
/// Failures are values (<see cref="PumpResult"/>), never thrown (STYLE H5.3).
/// </remarks>
internal static class PipePump
{
    /// <summary>
    /// Copies until the source ends or either side fails. Completes neither pipe: the caller first settles
    /// the close reason (so the first failure wins before its side effects reach the other side), then
    /// calls <see cref="CompleteAsync"/>.
    /// </summary>
    /// <param name="source">Bytes from one peer.</param>
    /// <param name="destination">Bytes to the other peer.</param>
    /// <param name="progress">Told about every flush, for byte counts and the idle clock.</param>
    /// <param name="direction">Passed back to <paramref name="progress"/>.</param>
    /// <param name="throttle">Paces the bytes (<c>--bandwidth</c>); null for full speed.</param>
    public static Task<(PumpResult Result, Exception? Error)> CopyAsync(
        PipeReader source, PipeWriter destination, IPumpProgress progress, RelayDirection direction, IByteThrottle? throttle = null) =>
        CopyCoreAsync(source, destination, progress, direction, throttle);

    /// <summary>
    /// Completes both pipes after a copy: a clean end is forwarded as a FIN (the destination completes
    /// without an error); anything else completes the destination with the error, so its transport resets
    /// instead of pretending the stream ended well.
    /// </summary>
    public static async ValueTask CompleteAsync(PipeReader source, PipeWriter destination, PumpResult result, Exception? error)
    {
        await source.CompleteAsync(error);
        await destination.CompleteAsync(result == PumpResult.SourceCompleted ? null : error ?? new IOException($"Relay direction ended: {result}."));
    }

    private static async Task<(PumpResult, Exception?)> CopyCoreAsync(
        PipeReader source, PipeWriter destination, IPumpProgress progress, RelayDirection direction, IByteThrottle? throttle)
    {
        while (true)
        {
            ReadResult read;
            try
            {
                read = await source.ReadAsync();
            }
            catch (Exception ex)
            {
                // The transport completed its pipe with the socket error: a reset or an abort.
                return (PumpResult.SourceFailed, ex);
            }

            var buffer = read.Buffer;
            var unflushed = buffer.Length;
            if (throttle is null)
            {
                foreach (var segment in buffer)
                {
                    destination.Write(segment.Span);
                }
            }
            else if (!buffer.IsEmpty)
            {
                // Shaping: what is left to write after the pieces that have had their turn.
                unflushed = 0;
                var rest = buffer;
                while (!rest.IsEmpty)
                {
                    var piece = rest.Slice(0, Math.Min(rest.Length, throttle.ChunkBytes));
                    var turn = throttle.WaitAsync((int)piece.Length);
                    if (!turn.IsCompletedSuccessfully)
                    {
                        // Hand on what went before (the burst) while this piece waits its turn, holding the source by
                        // back-pressure meanwhile.
                        if (unflushed > 0 && await FlushAsync(destination, progress, direction, unflushed) is { } ended)
                        {
                            source.AdvanceTo(buffer.Start);
                            return ended;
                        }

                        unflushed = 0;
                        await turn;
                    }

                    foreach (var segment in piece)
                    {
                        destination.Write(segment.Span);
                    }

                    unflushed += piece.Length;
                    rest = rest.Slice(piece.End);
                }
            }

            source.AdvanceTo(buffer.End);
            if (read.IsCanceled)
            {
                return (PumpResult.SourceFailed, new OperationCanceledException("The read was canceled."));
            }

            if (unflushed > 0 && await FlushAsync(destination, progress, direction, unflushed) is { } end)
            {
                return end;
            }

            if (read.IsCompleted)
            {
                return (PumpResult.SourceCompleted, null);
            }
        }
    }

    // Flushes and counts the bytes as handed on; a result when the destination has closed, else null. Pooled, so a
    // flush that waits on back-pressure allocates nothing after warm-up (PipePumpBench).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(PumpResult, Exception?)?> FlushAsync(PipeWriter destination, IPumpProgress progress, RelayDirection direction, long bytes)
    {
        FlushResult flush;
        try
        {
            flush = await destination.FlushAsync();
        }
        catch (Exception ex)
        {
            return (PumpResult.DestinationClosed, ex);
        }

        if (flush.IsCompleted || flush.IsCanceled)
        {
            return (PumpResult.DestinationClosed, null);
        }

        progress.OnTransferred(direction, bytes);
        return null;
    }
}
