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
    /// <summary>
    /// Copies until the source ends or either side fails. Completes neither pipe: the caller first settles
    /// the close reason (so the first failure wins before its side effects reach the other side), then
    /// calls <see cref="CompleteAsync"/>.
    /// </summary>
    /// <param name="source">Bytes from one peer.</param>
    /// <param name="destination">Bytes to the other peer.</param>
    /// <param name="progress">Told about every chunk, for byte counts and the idle clock.</param>
    /// <param name="direction">Passed back to <paramref name="progress"/>.</param>
    public static Task<(PumpResult Result, Exception? Error)> CopyAsync(
        PipeReader source, PipeWriter destination, IPumpProgress progress, RelayDirection direction) =>
        CopyCoreAsync(source, destination, progress, direction);

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

                var paced = progress.OnTransferred(direction, buffer.Length);
                if (!paced.IsCompletedSuccessfully)
                {
                    // Shaping: hold the bytes (and, by back-pressure, the source) until the tokens are there.
                    await paced;
                }
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
