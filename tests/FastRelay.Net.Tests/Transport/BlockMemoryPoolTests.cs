using System.IO.Pipelines;
using FastRelay.Transport;

namespace FastRelay.Net.Tests.Transport;

public sealed class BlockMemoryPoolTests
{
    [Theory]
    [InlineData(65536)]
    [InlineData(30000)]
    [InlineData(100)]
    public async Task Pipe_WriteAndConsume_ReusesBlocks(int advance)
    {
        using var pool = new BlockMemoryPool(64 * 1024, 64);
        var pipe = new Pipe(TransportOptions.Create(pool));
        for (var i = 0; i < 1000; i++)
        {
            var memory = pipe.Writer.GetMemory(64 * 1024);
            pipe.Writer.Advance(Math.Min(advance, memory.Length));
            await pipe.Writer.FlushAsync();
            var read = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(read.Buffer.End);
        }

        Assert.True(pool.BlocksCreated <= 4, $"{pool.BlocksCreated} blocks created, {pool.IdleBlocks} idle");
    }
}

public sealed class BlockMemoryPoolInlineTests
{
    [Theory]
    [InlineData(65536)]
    [InlineData(30000)]
    public async Task Pipe_InlineReaderLoop_ReusesBlocks(int advance)
    {
        using var pool = new BlockMemoryPool(64 * 1024, 64);
        var pipe = new Pipe(TransportOptions.Create(pool));
        var reader = Task.Run(async () =>
        {
            while (true)
            {
                var read = await pipe.Reader.ReadAsync();
                pipe.Reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        });
        await Task.Delay(50);
        for (var i = 0; i < 1000; i++)
        {
            var memory = pipe.Writer.GetMemory(64 * 1024);
            pipe.Writer.Advance(Math.Min(advance, memory.Length));
            await pipe.Writer.FlushAsync();
        }

        pipe.Writer.Complete();
        await reader;
        Assert.True(pool.BlocksCreated <= 4, $"{pool.BlocksCreated} blocks created, {pool.IdleBlocks} idle");
    }
}
