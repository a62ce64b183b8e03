using System.IO.Pipelines;
using FastRelay.Relaying;

namespace FastRelay.TestKit;

/// <summary>
/// An <see cref="IPipeConnection"/> over two in-memory pipes, with the peer's ends exposed to the test:
/// <see cref="PeerWriter"/> feeds <see cref="Input"/>, <see cref="PeerReader"/> sees what the relay wrote.
/// <see cref="Abort"/> behaves like a socket abort: Input fails and the peer stops reading.
/// </summary>
public sealed class InMemoryPipeConnection : IPipeConnection
{
    private readonly Pipe _input = new(new PipeOptions(useSynchronizationContext: false, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
    private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
    private int _aborts;

    /// <inheritdoc />
    public PipeReader Input => _input.Reader;

    /// <inheritdoc />
    public PipeWriter Output => _output.Writer;

    /// <summary>The peer's sending end.</summary>
    public PipeWriter PeerWriter => _input.Writer;

    /// <summary>The peer's receiving end.</summary>
    public PipeReader PeerReader => _output.Reader;

    /// <summary>How many times <see cref="Abort"/> was called.</summary>
    public int Aborts => Volatile.Read(ref _aborts);

    /// <inheritdoc />
    public void Abort()
    {
        if (Interlocked.Increment(ref _aborts) == 1)
        {
            _input.Writer.Complete(new IOException("aborted"));
            _output.Reader.Complete(new IOException("aborted"));
        }
    }

    /// <summary>Reads everything the relay wrote until it completed Output; throws if it completed with an error.</summary>
    public async Task<byte[]> ReadAllFromRelayAsync()
    {
        using var all = new MemoryStream();
        while (true)
        {
            var read = await PeerReader.ReadAsync().AsTask().WithTimeout();
            foreach (var segment in read.Buffer)
            {
                all.Write(segment.Span);
            }

            PeerReader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return all.ToArray();
            }
        }
    }
}
