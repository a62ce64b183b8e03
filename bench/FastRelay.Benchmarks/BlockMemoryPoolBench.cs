using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastRelay.Transport;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: renting and returning the buffer block behind every socket read (one per 64 KiB relayed).
/// Baseline: <see cref="MemoryPool{T}.Shared"/>, which allocates an owner object per rent; ours must
/// allocate 0 B.
/// </summary>
[MemoryDiagnoser]
public class BlockMemoryPoolBench
{
    private readonly BlockMemoryPool _pool = new(64 * 1024, 64);

    [Benchmark(Baseline = true)]
    public int SharedPool()
    {
        using var owner = MemoryPool<byte>.Shared.Rent(64 * 1024);
        return owner.Memory.Length;
    }

    [Benchmark]
    public int BlockPool()
    {
        using var owner = _pool.Rent(64 * 1024);
        return owner.Memory.Length;
    }
}
