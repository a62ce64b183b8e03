using System.IO.Pipelines;

namespace FastRelay.Transport;

/// <summary>Pipe settings shared by every socket transport of a process.</summary>
internal static class TransportOptions
{
    /// <summary>
    /// Pipe options for one direction of one socket: reads of <paramref name="pool"/>'s block size
    /// (64 KiB reads cost half the time of 4 KiB ones, RelayLoopbackBench), back-pressure after two blocks
    /// are waiting, and an inline reader scheduler: the relay's continuations never block, so a chunk goes
    /// from one socket's read to the other socket's send with no thread-pool hop.
    /// <para>The writer scheduler (which resumes a writer paused by back-pressure) is the thread pool, not
    /// inline: with both inline, the paused pump was resumed from inside the send loop's AdvanceTo, flushed
    /// again re-entrantly, and the pause was lost; a send pipe grew to 61 MB on one bulk stream
    /// (SocketPipeConnectionTests.Pump64MiB_BetweenTwoConnections_StaysWithinBackPressure). Resuming
    /// only happens under back-pressure, so interactive traffic never pays that hop.</para>
    /// </summary>
    public static PipeOptions Create(BlockMemoryPool pool) => new(
        pool: pool,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.ThreadPool,
        pauseWriterThreshold: 2L * pool.BlockBytes,
        resumeWriterThreshold: pool.BlockBytes,
        minimumSegmentSize: pool.BlockBytes,
        useSynchronizationContext: false);
}
