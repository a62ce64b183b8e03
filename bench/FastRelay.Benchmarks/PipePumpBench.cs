using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using FastRelay.Relaying;
using FastRelay.Transport;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: <see cref="PipePump"/>, the copy every relayed byte goes through, on an in-memory pipe pair
/// with the production pipe options (inline schedulers, 64 KiB pooled blocks). Sizes sweep a small
/// interactive message to a full read. Must allocate 0 B per operation after warm-up.
/// Baseline: the same writes and reads on one pipe with no pump in between (what the pump adds).
/// </summary>
[MemoryDiagnoser]
public class PipePumpBench
{
    private const int Operations = 1000;
    private readonly NoProgress _progress = new();
    private BlockMemoryPool _pool = null!;
    private Pipe _source = null!;
    private Pipe _destination = null!;
    private Pipe _single = null!;
    private Task<(PumpResult, Exception?)> _pump = null!;
    private byte[] _payload = null!;

    [Params(64, 1024, 16384, 65536)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = new BlockMemoryPool(64 * 1024, 64);
        var options = TransportOptions.Create(_pool);
        _source = new Pipe(options);
        _destination = new Pipe(options);
        _single = new Pipe(options);
        _payload = new byte[Bytes];
        _pump = PipePump.CopyAsync(_source.Reader, _destination.Writer, _progress, RelayDirection.ClientToUpstream);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Writer.Complete();
        _pump.GetAwaiter().GetResult();
        _pool.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public long OnePipeNoPump() => WriteAndDrain(_single.Writer, _single.Reader);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long ThroughPump() => WriteAndDrain(_source.Writer, _destination.Reader);

    // Inline schedulers: FlushAsync runs the pump (and, in production, the socket send) before returning,
    // so each operation completes synchronously, as it does on a socket that is not backed up.
    private long WriteAndDrain(PipeWriter writer, PipeReader reader)
    {
        long total = 0;
        for (var i = 0; i < Operations; i++)
        {
            writer.Write(_payload);
            var flush = writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                throw new InvalidOperationException("An inline-scheduled flush went asynchronous: the pipe is backed up.");
            }
            while (reader.TryRead(out var read))
            {
                total += read.Buffer.Length;
                reader.AdvanceTo(read.Buffer.End);
                if (total % Bytes == 0)
                {
                    break;
                }
            }
        }

        return total;
    }

    private sealed class NoProgress : IPumpProgress
    {
        public void OnTransferred(RelayDirection direction, long bytes)
        {
            // Counting is the relay's job; the benchmark measures the copy.
        }
    }
}
