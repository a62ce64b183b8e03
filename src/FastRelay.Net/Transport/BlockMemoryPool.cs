using System.Buffers;
using System.Collections.Concurrent;

namespace FastRelay.Transport;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of fixed-size blocks from the pinned object heap whose owner objects are
/// reused too, so renting and returning allocates nothing after warm-up.
/// </summary>
/// <remarks>
/// Why not <see cref="MemoryPool{T}.Shared"/>: it allocates a new owner object on every rent (one per
/// 64 KiB forwarded). Why pinned: sockets pin buffers for every I/O; POH arrays cost nothing to pin
/// (Kestrel's PinnedBlockMemoryPool makes the same choice). At most <c>maxRetainedBlocks</c> idle
/// blocks are kept; above that, returned blocks are left to the GC. Thread-safe.
/// </remarks>
public sealed class BlockMemoryPool : MemoryPool<byte>
{
    private readonly ConcurrentQueue<Block> _idle = new();
    private readonly int _maxRetainedBlocks;
    private int _idleCount;
    private long _blocksCreated;

    /// <summary>Creates a pool of <paramref name="blockBytes"/> blocks keeping at most <paramref name="maxRetainedBlocks"/> idle.</summary>
    public BlockMemoryPool(int blockBytes, int maxRetainedBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBlocks);
        BlockBytes = blockBytes;
        _maxRetainedBlocks = maxRetainedBlocks;
    }

    /// <summary>The size of every block.</summary>
    public int BlockBytes { get; }

    /// <summary>Blocks allocated since the pool was created (a steady value means no allocation).</summary>
    public long BlocksCreated => Interlocked.Read(ref _blocksCreated);

    /// <summary>Blocks currently idle in the pool.</summary>
    public int IdleBlocks => Volatile.Read(ref _idleCount);

    /// <inheritdoc />
    public override int MaxBufferSize => BlockBytes;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> exceeds <see cref="BlockBytes"/>
    /// (System.IO.Pipelines never asks for more than <see cref="MaxBufferSize"/>).</exception>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
            block.Rented = true;
            return block;
        }

        Interlocked.Increment(ref _blocksCreated);
        return new Block(this, GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true)) { Rented = true };
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks are plain managed arrays: dropping the references is all disposal needs.
        _idle.Clear();
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _idleCount) <= _maxRetainedBlocks)
        {
            _idle.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _idleCount); // Over the cap: let the GC have it.
        }
    }

    private sealed class Block(BlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        public bool Rented { get; set; }

        public Memory<byte> Memory => array;

        public void Dispose()
        {
            // A double dispose would put the block in the pool twice and hand it to two owners.
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }
}
