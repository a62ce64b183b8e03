using System.Text.RegularExpressions;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// The README's <c>fastrelay ca</c> workflow through the real executable: exit codes, the serial on stdout,
/// key modes, errors that name their input, and a live <c>ca ocsp</c> that sees <c>ca revoke</c> at once.
/// </summary>
public sealed partial class CaCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fastrelay-ca-cli-" + Guid.NewGuid().ToString("N"));

    private string Dir => Path.Combine(_root, "ca");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task InitIssueRevokeCrl_Workflow_OpenSslAgrees()
    {
        await RunOk("ca", "init", "--dir", Dir, "--name", "Acme Edge CA");
        var server = await RunOk("ca", "issue", "--dir", Dir, "--name", "edge", "--server", "--dns", "edge.acme.internal", "--ip", "127.0.0.1");
        // cli.md's "--dns NAME...": several names after one flag, as well as the flag repeated.
        await RunOk("ca", "issue", "--dir", Dir, "--name", "crm", "--server", "--dns", "crm.acme.internal", "crm2.acme.internal", "--dns", "crm3.acme.internal");
        var sans = (await OpenSsl.RunAsync("x509", "-noout", "-ext", "subjectAltName", "-in", Path.Combine(Dir, "crm.pem"))).Output;
        Assert.Contains("DNS:crm.acme.internal, DNS:crm2.acme.internal, DNS:crm3.acme.internal", sans, StringComparison.Ordinal);
        var alice = await RunOk("ca", "issue", "--dir", Dir, "--name", "alice", "--client");
        Assert.Matches(SerialLine(), server);
        Assert.Matches(SerialLine(), alice);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir, "alice.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir, "ca.key")));
        }

        Assert.Contains("revoked " + alice.Trim(), await RunOk("ca", "revoke", "--dir", Dir, "--serial", alice.Trim(), "--reason", "keyCompromise"), StringComparison.Ordinal);
        var crl = Path.Combine(_root, "ca.crl");
        Assert.Contains("1 revoked certificate", await RunOk("ca", "crl", "--dir", Dir, "--out", crl), StringComparison.Ordinal);

        var ca = Path.Combine(Dir, "ca.pem");
        Assert.Equal(0, (await OpenSsl.RunAsync("verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, Path.Combine(Dir, "edge.pem"))).ExitCode);
        var revoked = await OpenSsl.RunAsync("verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, Path.Combine(Dir, "alice.pem"));
        Assert.Contains("certificate revoked", revoked.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_BadFlags_Exit2_EveryErrorNamed()
    {
        using var relay = await FastRelayProcess.RunAsync("ca", "issue", "--dir", Dir, "--name", "../x", "--server", "--client", "--dns", "bad_name!", "--ip", "300.1.1.1", "--days", "0");
        Assert.Equal(2, await relay.WaitForExitAsync());
        var stderr = relay.StandardError;
        Assert.Contains("--name '../x': expected 1-64 characters", stderr, StringComparison.Ordinal);
        Assert.Contains("--server, --client: mutually exclusive", stderr, StringComparison.Ordinal);
        Assert.Contains("--dns 'bad_name!': expected a DNS name", stderr, StringComparison.Ordinal);
        Assert.Contains("--ip '300.1.1.1': expected an IPv4 or IPv6 address", stderr, StringComparison.Ordinal);
        Assert.Contains("--days '0': expected a whole number of days", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);

        using var missing = await FastRelayProcess.RunAsync("ca", "revoke");
        Assert.Equal(2, await missing.WaitForExitAsync());
        Assert.Contains("--dir: required", missing.StandardError, StringComparison.Ordinal);
        Assert.Contains("--serial: required", missing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCaOrUnknownSerial_Exit1_OneLineNamingTheInput()
    {
        Directory.CreateDirectory(_root);
        using var noCa = await FastRelayProcess.RunAsync("ca", "issue", "--dir", _root, "--name", "alice", "--client");
        Assert.Equal(1, await noCa.WaitForExitAsync());
        Assert.Contains($"fastrelay ca issue: {_root}: no CA here (ca.pem is missing)", noCa.StandardError, StringComparison.Ordinal);

        await RunOk("ca", "init", "--dir", Dir);
        using var unknown = await FastRelayProcess.RunAsync("ca", "revoke", "--dir", Dir, "--serial", "0xABCDEF");
        Assert.Equal(1, await unknown.WaitForExitAsync());
        Assert.Contains("--serial 0xABCDEF: no certificate with this serial", unknown.StandardError, StringComparison.Ordinal);

        using var again = await FastRelayProcess.RunAsync("ca", "init", "--dir", Dir);
        Assert.Equal(1, await again.WaitForExitAsync());
        Assert.Contains("already holds a CA", again.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ocsp_Responder_AnswersGood_ThenRevokedRightAfterCaRevoke()
    {
        await RunOk("ca", "init", "--dir", Dir);
        var serial = (await RunOk("ca", "issue", "--dir", Dir, "--name", "alice", "--client")).Trim();
        using var responder = FastRelayProcess.Start("ca", "ocsp", "--dir", Dir, "--listen", "127.0.0.1:0");
        string url = "";
        Assert.True(await TestTimeouts.EventuallyAsync(() => (url = UrlLine().Match(responder.StandardOutput).Groups[1].Value).Length > 0), responder.StandardError);

        var ca = Path.Combine(Dir, "ca.pem");
        var cert = Path.Combine(Dir, "alice.pem");
        var good = await OpenSsl.RunAsync("ocsp", "-issuer", ca, "-cert", cert, "-url", url, "-CAfile", ca);
        Assert.Contains("Response verify OK", good.Output, StringComparison.Ordinal);
        Assert.Contains("alice.pem: good", good.Output, StringComparison.Ordinal);

        await RunOk("ca", "revoke", "--dir", Dir, "--serial", serial);
        var revoked = await OpenSsl.RunAsync("ocsp", "-issuer", ca, "-cert", cert, "-url", url, "-CAfile", ca);
        Assert.Contains("alice.pem: revoked", revoked.Output, StringComparison.Ordinal);

        responder.Signal("TERM");
        Assert.Equal(0, await responder.WaitForExitAsync());
    }

    [Fact]
    public async Task UnderUmask000_NothingIsWorldWritable_KeysStay0600() // 0664 and 0775: the umask decides the rest.
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var args in new[]
        {
            new[] { "ca", "init", "--dir", Dir, "--name", "Acme Edge CA" },
            ["ca", "issue", "--dir", Dir, "--name", "alice", "--client"],
            ["ca", "crl", "--dir", Dir, "--out", Path.Combine(Dir, "ca.crl")],
        })
        {
            using var run = await FastRelayProcess.RunWithUmaskAsync("000", args);
            Assert.True(await run.WaitForExitAsync() == 0, run.StandardError);
        }

        const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead;
        Assert.Equal(Public | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(Dir));
        foreach (var name in new[] { "ca.pem", "index.txt", "ca.json", "crlnumber", "alice.pem", "ca.crl", ".lock" })
        {
            Assert.True(File.GetUnixFileMode(Path.Combine(Dir, name)) == Public, $"{name}: {File.GetUnixFileMode(Path.Combine(Dir, name))}");
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir, "ca.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir, "alice.key")));
    }

    [Fact]
    public async Task Init_ParentsNotWorldWritable_RewrittenFilesKeepTheirModes_ARecordsOnlyDirIsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // _root does not exist: init makes it and Dir, both within 0775 under umask 000 (the parent was 0777).
        using (var run = await FastRelayProcess.RunWithUmaskAsync("000", "ca", "init", "--dir", Dir, "--name", "Acme Edge CA"))
        {
            Assert.True(await run.WaitForExitAsync() == 0, run.StandardError);
        }

        const UnixFileMode Folder = (UnixFileMode)0b111_111_101; // 0775
        Assert.Equal(Folder, File.GetUnixFileMode(_root));
        Assert.Equal(Folder, File.GetUnixFileMode(Dir));

        // An operator's chmod survives the rewrites (by rename) of the index and of a CRL.
        var index = Path.Combine(Dir, "index.txt");
        var crl = Path.Combine(Dir, "ca.crl");
        await RunOk("ca", "crl", "--dir", Dir, "--out", crl);
        const UnixFileMode Narrow = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead; // 0640
        File.SetUnixFileMode(index, Narrow);
        File.SetUnixFileMode(crl, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await RunOk("ca", "issue", "--dir", Dir, "--name", "bob", "--client");
        await RunOk("ca", "crl", "--dir", Dir, "--out", crl);
        Assert.Equal(Narrow, File.GetUnixFileMode(index));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(crl));

        // The certificate and key moved aside: a new CA here would empty the index (bob's record) and restart the CRL numbers.
        File.Move(Path.Combine(Dir, "ca.pem"), Path.Combine(_root, "ca.pem"));
        File.Move(Path.Combine(Dir, "ca.key"), Path.Combine(_root, "ca.key"));
        using var again = await FastRelayProcess.RunAsync("ca", "init", "--dir", Dir, "--name", "Another CA");
        Assert.Equal(1, await again.WaitForExitAsync());
        Assert.Contains("holds a CA's records (index.txt exists) without its ca.pem and ca.key", again.StandardError, StringComparison.Ordinal);
        Assert.Contains("CN=bob", await File.ReadAllTextAsync(index), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherCasKey_InTheCaFolder_IsNamed_NoStackTrace()
    {
        await RunOk("ca", "init", "--dir", Dir, "--name", "Acme Edge CA");
        var other = Path.Combine(_root, "other");
        await RunOk("ca", "init", "--dir", other, "--name", "Other CA");
        File.Copy(Path.Combine(other, "ca.key"), Path.Combine(Dir, "ca.key"), overwrite: true);

        foreach (var args in new[] { new[] { "ca", "issue", "--dir", Dir, "--name", "bob", "--client" }, ["ca", "ocsp", "--dir", Dir, "--listen", "127.0.0.1:0"] })
        {
            using var run = await FastRelayProcess.RunAsync(args);
            Assert.Equal(1, await run.WaitForExitAsync());
            Assert.Contains("ca.key: not the private key of", run.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }
    }

    private static async Task<string> RunOk(params string[] args)
    {
        using var process = await FastRelayProcess.RunAsync(args);
        var exit = await process.WaitForExitAsync();
        Assert.True(exit == 0, $"fastrelay {string.Join(' ', args)} exited {exit}: {process.StandardError}");
        return process.StandardOutput;
    }

    [GeneratedRegex(@"^[0-9A-F]{32}\s*$")]
    private static partial Regex SerialLine();

    [GeneratedRegex(@"on (http://127\.0\.0\.1:\d+)/")]
    private static partial Regex UrlLine();
}
