using System.Diagnostics;
using FastRelay.Configuration;

namespace FastRelay.Net.Tests.Configuration;

/// <summary>Rewrites by rename keep what an operator set on the file: its owner and mode, or neither.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private const UnixFileMode Narrow = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead; // 0640
    private const UnixFileMode Public = Narrow | UnixFileMode.GroupWrite | UnixFileMode.OtherRead; // 0664

    private readonly string _folder = Directory.CreateTempSubdirectory("fastrelay-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task KeepExistingMode_OwnFile_KeepsItsMode_NewContents()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_folder, "index.txt");
        await File.WriteAllTextAsync(path, "old");
        File.SetUnixFileMode(path, Narrow);

        AtomicFile.Write(path, "new"u8, Public, keepExistingMode: true);

        Assert.Equal("new", await File.ReadAllTextAsync(path));
        Assert.Equal(Narrow, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task KeepExistingMode_AnotherUsersFile_KeepsItsOwnerToo_OrElseNotItsMode()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = Path.Combine(_folder, "ca.crl");
        await File.WriteAllTextAsync(path, "old");
        var givenAway = (await RunAsync("chown", "65534:65534", path)).Exit == 0; // Only root can give a file away.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // 0600: readable by its owner alone.

        AtomicFile.Write(path, "new"u8, Public, keepExistingMode: true);

        if (givenAway)
        {
            Assert.Equal("65534:65534", (await RunAsync("stat", "-c", "%u:%g", path)).Output.Trim()); // Still the other user's.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        else
        {
            Assert.NotEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
