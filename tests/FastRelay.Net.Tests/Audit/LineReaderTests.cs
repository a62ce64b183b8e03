using System.Text;
using FastRelay.Audit.Internal;
using FastRelay.Configuration;

namespace FastRelay.Net.Tests.Audit;

/// <summary>
/// The audit files' line reader holds at most one bounded line: a longer one is skipped whole and the lines after it
/// still arrive; it reads the length the file had at open; a device like /dev/zero is empty, not endless.
/// </summary>
public sealed class LineReaderTests
{
    [Fact]
    public void Lines_UpToTheBound_ArriveWhole_ALongerOneIsSkippedToItsNewline()
    {
        const int max = 100_000; // Above the first 64 KiB buffer: a line this long makes it grow.
        var exact = new string('a', max);
        var over = new string('b', max + 1);
        var far = new string('c', 5 * max); // Several buffers' worth while skipping.
        var text = $"one\n\n{exact}\n{over}\ntwo\n{far}\nthree";

        var read = ReadAll(new MemoryStream(Encoding.ASCII.GetBytes(text)), max);

        Assert.Equal(
            [(LineKind.Line, "one"), (LineKind.Line, ""), (LineKind.Line, exact), (LineKind.TooLong, ""), (LineKind.Line, "two"), (LineKind.TooLong, ""), (LineKind.Unterminated, "three")],
            read);
    }

    [Fact]
    public void AnOverLongLastLine_WithoutNewline_IsTooLong()
    {
        var read = ReadAll(new MemoryStream(Encoding.ASCII.GetBytes("x\n" + new string('y', 50))), maxLineBytes: 10);
        Assert.Equal([(LineKind.Line, "x"), (LineKind.TooLong, "")], read);
    }

    [Fact]
    public void APipe_InSmallReads_IsReadToItsEnd()
    {
        var bytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i}\n")));
        var read = ReadAll(new TrickleStream(bytes), maxLineBytes: 64);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (LineKind.Line, $"line {i}")), read);
    }

    [Fact]
    public void AFile_IsReadUpToItsLengthAtOpen_NotWhatIsAppendedAfter()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "first\nsecond\n");
            using var stream = FifoSafeOpen.Open(path);
            var reader = new LineReader(stream, 1024);
            File.AppendAllText(path, "third\n"); // The edge appending while `audit query` reads.

            Assert.Equal([(LineKind.Line, "first"), (LineKind.Line, "second")], ReadAll(reader));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DevZero_IsEmpty_NotAnEndlessLine()
    {
        using var stream = FifoSafeOpen.Open("/dev/zero");
        Assert.Empty(ReadAll(new LineReader(stream, 1 << 20)));
    }

    private static List<(LineKind, string)> ReadAll(Stream stream, int maxLineBytes) => ReadAll(new LineReader(stream, maxLineBytes));

    private static List<(LineKind, string)> ReadAll(LineReader reader)
    {
        var lines = new List<(LineKind, string)>();
        LineKind kind;
        while ((kind = reader.Next(out var line)) != LineKind.End)
        {
            lines.Add((kind, Encoding.ASCII.GetString(line)));
        }

        return lines;
    }

    /// <summary>A pipe: not seekable, and each read gives at most 7 bytes.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 7), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
