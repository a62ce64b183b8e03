using System.Buffers;
using System.IO.Pipelines;

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
    /// <summary>Copies until the source ends or either side fails; completes <paramref name="source"/> and, on a clean end, <paramref name="destination"/>.</summary>
    /// <param name="source">Bytes from one peer.</param>
    /// <param name="destination">Bytes to the other peer.</param>
    /// <param name="progress">Told about every chunk, for byte counts and the idle clock.</param>
    /// <param name="direction">Passed back to <paramref name="progress"/>.</param>
    public static async Task<(PumpResult Result, Exception? Error)> CopyAsync(
        PipeReader source, PipeWriter destination, IPumpProgress progress, RelayDirection direction)
    {
        var (result, error) = await CopyCoreAsync(source, destination, progress, direction);

        // Step 1: stop reading the source; its transport may release buffers.
        await source.CompleteAsync(error);

        // Step 2: a clean end is forwarded as a FIN; anything else completes the destination with the error
        // so its transport does not pretend the stream ended well.
        await destination.CompleteAsync(result == PumpResult.SourceCompleted ? null : error);
        return (result, error);
    }

    private static async Task<(PumpResult, Exception?)> CopyCoreAsync(
        PipeReader source, PipeWriter destination, IPumpProgress progress, RelayDirection direction)
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
            if (!buffer.IsEmpty)
            {
                foreach (var segment in buffer)
                {
                    destination.Write(segment.Span);
                }

                progress.OnTransferred(direction, buffer.Length);
            }

            source.AdvanceTo(buffer.End);
            if (read.IsCanceled)
            {
                return (PumpResult.SourceFailed, new OperationCanceledException("The read was canceled."));
            }

            if (!buffer.IsEmpty)
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
            }

            if (read.IsCompleted)
            {
                return (PumpResult.SourceCompleted, null);
            }
        }
    }
}
