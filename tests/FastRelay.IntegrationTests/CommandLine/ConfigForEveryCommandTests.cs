using System.Security.Cryptography.X509Certificates;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// cli.md: "Every flag may also come from --config FILE (JSON, same names without dashes); a flag on the command line
/// wins over the file" — for keygen, ca, policy, audit and demo too, not only edge and gateway.
/// </summary>
public sealed class ConfigForEveryCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastrelay-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Keygen_TakesItsFlagsFromTheFile_AndTheCommandLineWins()
    {
        var config = Write("keygen.json", $$"""{"out": "{{Path.Combine(_dir, "file.key")}}", "force": true}""");

        using var fromFile = await FastRelayProcess.RunAsync("keygen", "--config", config);
        using var overridden = await FastRelayProcess.RunAsync("keygen", "--config", config, "--out", Path.Combine(_dir, "flag.key"));

        Assert.Equal(0, await fromFile.WaitForExitAsync());
        Assert.True(File.Exists(Path.Combine(_dir, "file.key")));
        Assert.Equal(0, await overridden.WaitForExitAsync());
        Assert.True(File.Exists(Path.Combine(_dir, "flag.key")));
    }

    [Fact]
    public async Task CaInitAndIssue_FromFiles_RepeatableFlagsAsLists_SwitchesAsBooleans()
    {
        var ca = Path.Combine(_dir, "ca");
        using var init = await FastRelayProcess.RunAsync("ca", "init", "--config", Write("init.json", $$"""{"dir": "{{ca}}", "name": "Config CA"}"""));
        Assert.Equal(0, await init.WaitForExitAsync());

        using var issue = await FastRelayProcess.RunAsync("ca", "issue", "--config",
            Write("issue.json", $$"""{"dir": "{{ca}}", "name": "web", "server": true, "dns": ["a.corp", "b.corp"]}"""));
        Assert.Equal(0, await issue.WaitForExitAsync());

        using var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(ca, "web.pem"));
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames();
        Assert.Equal(["a.corp", "b.corp"], names);
    }

    [Fact]
    public async Task ABadFile_IsListedWithTheOtherErrors_Exit2()
    {
        var config = Write("bad.json", """{"bogus": 1, "out": ["a", "b"]}""");

        using var bad = await FastRelayProcess.RunAsync("keygen", "--config", config);
        using var missing = await FastRelayProcess.RunAsync("audit", "query", "--config", Path.Combine(_dir, "none.json"));

        Assert.Equal(2, await bad.WaitForExitAsync());
        Assert.Contains("bad.json: bogus: unknown key; expected one of out, force", bad.StandardError, StringComparison.Ordinal);
        Assert.Contains("bad.json: out '[\"a\", \"b\"]': expected a single value, not a list", bad.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await missing.WaitForExitAsync());
        Assert.Contains("none.json': file not found", missing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASwitchSetToFalse_IsOff_AndOneThatIsNotABoolean_IsNamedWithItsFile()
    {
        var existing = Path.Combine(_dir, "existing.key");
        await File.WriteAllTextAsync(existing, "keep me\n");

        using var off = await FastRelayProcess.RunAsync("keygen", "--config", Write("off.json", $$"""{"out": "{{existing}}", "force": false}"""));
        using var notBoolean = await FastRelayProcess.RunAsync("keygen", "--config", Write("yes.json", $$"""{"out": "{{existing}}", "force": "yes"}"""));

        Assert.Equal(1, await off.WaitForExitAsync()); // No --force: the existing file is not overwritten.
        Assert.Equal("keep me\n", await File.ReadAllTextAsync(existing));
        Assert.Equal(2, await notBoolean.WaitForExitAsync());
        Assert.Contains("yes.json: force 'yes': expected true or false (a switch)", notBoolean.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigTwiceOrWithoutAValue_IsABadFlag_AndHelpStillWins()
    {
        var config = Write("k.json", $$"""{"out": "{{Path.Combine(_dir, "k.key")}}"}""");

        using var twice = await FastRelayProcess.RunAsync("keygen", "--config", config, "--config", config);
        using var noValue = await FastRelayProcess.RunAsync("keygen", "--config");
        using var help = await FastRelayProcess.RunAsync("keygen", "--config", Path.Combine(_dir, "none.json"), "--help");

        Assert.Equal(2, await twice.WaitForExitAsync());
        Assert.Contains("--config: given 2 times; expected it once", twice.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noValue.WaitForExitAsync());
        Assert.Contains("--config: no value; expected --config FILE", noValue.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", twice.StandardError + noValue.StandardError, StringComparison.Ordinal);
        Assert.Equal(0, await help.WaitForExitAsync());
        Assert.Contains("--config <FILE>", help.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFilesFlags_StayFlags_BeforeADoubleDash()
    {
        // After "--" every token is an argument: the file's --out must not land there.
        var config = Write("dash.json", $$"""{"out": "{{Path.Combine(_dir, "dash.key")}}"}""");

        using var run = await FastRelayProcess.RunAsync("keygen", "--config", config, "--", "stray");

        Assert.Equal(2, await run.WaitForExitAsync());
        Assert.Contains("'stray': not expected here", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--out", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadFile_AndABadFlag_AreListedTogether()
    {
        var config = Write("init.json", $$"""{"dir": "{{Path.Combine(_dir, "ca")}}", "bogus": true}""");

        using var init = await FastRelayProcess.RunAsync("ca", "init", "--config", config, "--days", "x");

        Assert.Equal(2, await init.WaitForExitAsync());
        Assert.Contains("init.json: bogus: unknown key", init.StandardError, StringComparison.Ordinal);
        Assert.Contains("--days 'x'", init.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "ca")));
    }

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }
}
