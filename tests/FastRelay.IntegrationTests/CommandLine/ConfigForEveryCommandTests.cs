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

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }
}
