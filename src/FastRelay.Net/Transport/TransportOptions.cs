using System.IO.Pipelines;

namespace FastRelay.Transport;

/// <summary>Pipe settings shared by every socket transport of a process.</summary>
internal static class TransportOptions
{
    /// <summary>
    /// Pipe options for one direction of one socket: reads of <paramref name="pool"/>'s block size
    /// (64 KiB reads cost a third of the CPU of the default 4 KiB ones), inline schedulers (the relay's
    /// continuations never block, so running them on the I/O thread saves a thread-pool hop per chunk),
    /// and back-pressure after two blocks are waiting.
    /// </summary>
    public static PipeOptions Create(BlockMemoryPool pool) => new(
        pool: pool,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 2L * pool.BlockBytes,
        resumeWriterThreshold: pool.BlockBytes,
        minimumSegmentSize: pool.BlockBytes,
        useSynchronizationContext: false);
}
