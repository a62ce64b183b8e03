using System.IO.Pipelines;
using System.Threading.Channels;
using FastRelay.Tunnel.Frames;

namespace FastRelay.Tunnel.Session;

/// <summary>Accepts every OPEN and echoes the stream's bytes back, FIN included (a loopback "target").</summary>
internal sealed class EchoAcceptor : ITunnelStreamAcceptor
{
    public int Accepted;

    public async Task AcceptAsync(TunnelStreamRequest request, CancellationToken ct)
    {
        if (request.Accept() is not { } stream)
        {
            return;
        }

        Interlocked.Increment(ref Accepted);
        await EchoAsync(stream);
    }

    public static async Task EchoAsync(TunnelStream stream)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await stream.Input.ReadAsync();
                foreach (var segment in read.Buffer)
                {
                    await stream.Output.WriteAsync(segment);
                }

                stream.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (IOException ex)
        {
            error = ex; // Reset: pass it on as a reset.
        }

        await stream.Input.CompleteAsync(error);
        await stream.Output.CompleteAsync(error);
    }
}

/// <summary>Hands each request to the test, which answers when it wants.</summary>
internal sealed class ManualAcceptor : ITunnelStreamAcceptor
{
    private readonly Channel<(TunnelStreamRequest Request, TaskCompletionSource Done)> _requests = Channel.CreateUnbounded<(TunnelStreamRequest, TaskCompletionSource)>();

    public async Task AcceptAsync(TunnelStreamRequest request, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _requests.Writer.WriteAsync((request, done), ct);
        using var registration = ct.Register(() => done.TrySetCanceled());
        await done.Task;
    }

    /// <summary>The next request; complete the returned source when the stream's work is done.</summary>
    public ValueTask<(TunnelStreamRequest Request, TaskCompletionSource Done)> NextAsync(CancellationToken ct = default) =>
        _requests.Reader.ReadAsync(ct);

    public bool TryNext(out (TunnelStreamRequest Request, TaskCompletionSource Done) item) => _requests.Reader.TryRead(out item);
}

/// <summary>Helpers for reading and writing whole payloads through a stream's pipes.</summary>
internal static class StreamIo
{
    public static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        using var all = new MemoryStream();
        while (true)
        {
            var read = await reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                all.Write(segment.Span);
            }

            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return all.ToArray();
            }
        }
    }

    public static async Task WriteAllAsync(PipeWriter writer, byte[] data, int chunk = 8192, bool complete = true)
    {
        for (var offset = 0; offset < data.Length; offset += chunk)
        {
            var flush = await writer.WriteAsync(data.AsMemory(offset, Math.Min(chunk, data.Length - offset)));
            if (flush.IsCompleted)
            {
                throw new IOException("the stream's peer stopped reading");
            }
        }

        if (complete)
        {
            await writer.CompleteAsync();
        }
    }

    public static TunnelTarget Target => TunnelTarget.ForHost("backend.test", 443);

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
