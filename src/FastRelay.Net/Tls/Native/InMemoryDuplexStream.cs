using System.IO.Pipelines;

namespace FastRelay.Tls.Native;

/// <summary>
/// One end of an in-process byte stream pair (two pipes crossed over): what one end writes the other reads.
/// For the warm-up handshake of <see cref="SharedServerContext"/>, which must not need a socket or a port.
/// </summary>
internal sealed class InMemoryDuplexStream : Stream
{
    private readonly Stream _input;
    private readonly Stream _output;

    private InMemoryDuplexStream(Stream input, Stream output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Two connected ends.</summary>
    public static (InMemoryDuplexStream First, InMemoryDuplexStream Second) CreatePair()
    {
        // Inline schedulers: a blocked synchronous read is woken by the writing thread itself, not by a pool thread.
        var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var firstToSecond = new Pipe(options);
        var secondToFirst = new Pipe(options);
        return (new InMemoryDuplexStream(secondToFirst.Reader.AsStream(), firstToSecond.Writer.AsStream()),
                new InMemoryDuplexStream(firstToSecond.Reader.AsStream(), secondToFirst.Writer.AsStream()));
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _output.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc />
    public override void Flush() => _output.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _output.Dispose(); // Completes the pipe: the other end reads EOF.
            _input.Dispose();
        }

        base.Dispose(disposing);
    }
}
