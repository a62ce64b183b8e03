using FastRelay.TestKit;
using FastRelay.Tunnel.Handshake;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// <c>fastrelay keygen</c> as users script it (README "Tunnel keys"): the public key alone on stdout, the private key in a
/// 0600 file that <c>--tunnel-key</c> loads, never an overwrite without --force, named errors with the documented exit codes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeygenCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastrelay-keygen-").FullName;

    [Fact]
    public async Task Keygen_NewFile_WritesA0600KeyAndPrintsItsPublicKey()
    {
        var path = Path.Combine(_dir, "edge.key");
        using var run = await FastRelayProcess.RunAsync("keygen", "--out", path);
        Assert.Equal(0, await run.WaitForExitAsync());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(TunnelKeyFile.TryLoad(path, out var keyPair, out var error, out var warning), error);
        Assert.Null(warning);
        Assert.Equal(keyPair!.PublicKeyBase64 + "\n", run.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Matches("^[A-Za-z0-9+/]{43}=\n$", File.ReadAllText(path));
    }

    [Fact]
    public async Task Keygen_ExistingFile_RefusesUnlessForced()
    {
        var path = Path.Combine(_dir, "edge.key");
        File.WriteAllText(path, "keep me");
        using var refused = await FastRelayProcess.RunAsync("keygen", "--out", path);
        Assert.Equal(1, await refused.WaitForExitAsync());
        Assert.Contains($"fastrelay keygen: '{path}' already exists (use --force to overwrite it)", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(path));

        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        using var forced = await FastRelayProcess.RunAsync("keygen", "--out", path, "--force");
        Assert.Equal(0, await forced.WaitForExitAsync());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Keygen_UnwritableDirectory_Exit1NamingTheFile()
    {
        var path = Path.Combine(_dir, "missing", "edge.key");
        using var run = await FastRelayProcess.RunAsync("keygen", "--out", path);
        Assert.Equal(1, await run.WaitForExitAsync());
        Assert.Equal($"fastrelay keygen: cannot write '{path}': the folder '{Path.GetDirectoryName(path)}' does not exist", run.StandardError.Trim());
        Assert.DoesNotContain(".tmp", run.StandardError, StringComparison.Ordinal); // Not the temporary file's name.
    }

    [Theory]
    [InlineData]
    [InlineData("--out")]
    [InlineData("--out", "x.key", "--bogus")]
    public async Task Keygen_BadFlags_Exit2(params string[] flags)
    {
        using var run = await FastRelayProcess.RunAsync(["keygen", .. flags]);
        Assert.Equal(2, await run.WaitForExitAsync());
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_WorldReadableOrMalformed_WarnsOrNamesTheFile()
    {
        var path = Path.Combine(_dir, "loose.key");
        File.WriteAllText(path, Convert.ToBase64String(new byte[32]) + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        Assert.True(TunnelKeyFile.TryLoad(path, out _, out _, out var warning));
        Assert.Equal($"tunnel key file '{path}' is accessible by group or others; run: chmod 600 '{path}'", warning);

        File.WriteAllText(path, "not a key\n");
        Assert.False(TunnelKeyFile.TryLoad(path, out _, out var error));
        Assert.Equal($"tunnel key file '{path}': expected one line of base64 (a 32-byte X25519 private key, as written by 'fastrelay keygen')", error);

        Assert.False(TunnelKeyFile.TryLoad(Path.Combine(_dir, "absent.key"), out _, out error));
        Assert.StartsWith($"tunnel key file '{Path.Combine(_dir, "absent.key")}': ", error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
