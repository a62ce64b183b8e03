using System.IO.Pipes;
using FastRelay.Configuration;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Configuration;

/// <summary>
/// <see cref="OperatorFile"/>: every file an operator names is read whole but bounded, and what went wrong is said in
/// words. Real files, a directory, a device that never ends and a pipe.
/// </summary>
public sealed class OperatorFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastrelay-operatorfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)] // Exactly the limit.
    public void AFileUpToTheLimit_IsReadWhole(int size)
    {
        var content = new byte[size];
        Random.Shared.NextBytes(content);
        var path = Path.Combine(_dir, "f");
        File.WriteAllBytes(path, content);

        Assert.True(OperatorFile.TryRead(path, 4096, "PEM", out var bytes, out var problem), problem);
        Assert.Equal(content, bytes);
    }

    [Fact]
    public void AFileOverTheLimit_IsRefusedWithItsSize_BeforeItIsRead()
    {
        var path = Path.Combine(_dir, "big");
        File.WriteAllBytes(path, new byte[4097]);

        Assert.False(OperatorFile.TryRead(path, 4096, "PEM", out var bytes, out var problem));
        Assert.Null(bytes);
        Assert.Equal("4097 bytes is too large for a PEM file (at most 4 KiB)", problem);
    }

    [Fact]
    public void ADeviceThatNeverEnds_IsRefusedAfterTheLimit()
    {
        Assert.False(OperatorFile.TryRead("/dev/zero", 1 << 20, "CRL", out _, out var problem));
        Assert.Equal("too large for a CRL file (more than 1 MiB)", problem);
    }

    [Fact]
    public async Task AFifoNobodyWritesTo_IsEmpty_NotAWaitForAWriter()
    {
        // open(2) of such a FIFO blocks until a writer comes: `--policy FIFO` hung the edge at start.
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var read = Task.Run(() => (OperatorFile.TryRead(fifo, 1 << 20, "JSON", out var bytes, out var problem), bytes, problem));
        var (ok, content, error) = await read.WaitAsync(TestTimeouts.Default);

        Assert.True(ok, error);
        Assert.Empty(content!);
    }

    [Fact]
    public async Task APipe_IsReadToItsEnd_ThroughSeveralReads()
    {
        // What `--config <(generate)` hands over: /dev/fd/N of a pipe, of no known size.
        var content = new byte[100_000];
        Random.Shared.NextBytes(content);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        var path = $"/proc/self/fd/{pipe.ClientSafePipeHandle.DangerousGetHandle()}";
        var writer = Task.Run(() =>
        {
            pipe.Write(content);
            pipe.Dispose(); // The end of file.
        });

        Assert.True(OperatorFile.TryRead(path, 1 << 20, "JSON", out var bytes, out var problem), problem);
        await writer;
        Assert.Equal(content, bytes);
    }

    [Fact]
    public void AMissingFile_OrDirectoryOnTheWay_IsNotFound()
    {
        Assert.False(OperatorFile.TryRead(Path.Combine(_dir, "absent"), 100, "PEM", out _, out var problem));
        Assert.Equal("file not found", problem);
        Assert.False(OperatorFile.TryRead(Path.Combine(_dir, "no-dir", "absent"), 100, "PEM", out _, out problem));
        Assert.Equal("file not found", problem);
    }

    [Fact]
    public void ADirectory_IsNamedAsOne()
    {
        Assert.False(OperatorFile.TryRead(_dir, 100, "policy JSON", out _, out var problem));
        Assert.Equal("it is a directory; expected a policy JSON file", problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void AnEmptyPath_AsksForOne(string path)
    {
        Assert.False(OperatorFile.TryRead(path, 100, "PEM", out _, out var problem));
        Assert.Equal("expected the path of a PEM file", problem);
    }
}
