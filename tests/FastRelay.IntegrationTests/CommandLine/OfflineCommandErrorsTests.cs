using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// cli.md's error rules for the offline commands (policy, audit query, keygen, ca): every error at once, also when the
/// parser found an unknown flag; a config file's values named by file and key; no stack trace for any input; and no
/// value silently read as a different one (a shorthand address in a certificate, a DryRun group in explain).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OfflineCommandErrorsTests : IDisposable
{
    private const string BadPolicy = """
        {"SecurityGroups": [{"Name": "g", "Direction": "Outbound", "Rules": [{"DestinationIP": "nope", "Action": "Allow"}]}]}
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("fastrelay-offline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task AnOfflineSwitchWithAValueNotTrueOrFalse_IsNamedWithItsFlag()
    {
        // As the relay's switches: alone or true|false; anything else names the flag (it was "'maybe': not expected here").
        var key = Path.Combine(_dir, "k.key");
        using var keygen = await FastRelayProcess.RunAsync("keygen", "--out", key, "--force=maybe");
        using var issue = await FastRelayProcess.RunAsync("ca", "issue", "--dir", _dir, "--name", "x", "--client", "perhaps");
        foreach (var (run, expected) in new[] { (keygen, "--force 'maybe': expected true or false"), (issue, "--client 'perhaps': expected true or false") })
        {
            Assert.Equal(2, await run.WaitForExitAsync());
            Assert.Contains(expected, run.StandardError, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(key));
        using var forced = await FastRelayProcess.RunAsync("keygen", "--out", key, "--force=true");
        Assert.Equal(0, await forced.WaitForExitAsync());
        using var refused = await FastRelayProcess.RunAsync("keygen", "--out", key, "--force=false");
        Assert.Equal(1, await refused.WaitForExitAsync()); // Exists, and --force is off.
    }

    [Fact]
    public async Task AnUnknownFlag_IsListedWithTheCommandsOwnErrors()
    {
        var policy = Write("bad.json", BadPolicy);

        using var explain = await FastRelayProcess.RunAsync("policy", "explain", policy, "--src", "bad", "--dst", "1.2.3.4", "--port", "0", "--bogus");
        using var check = await FastRelayProcess.RunAsync("policy", "check", policy, "--strict");
        using var query = await FastRelayProcess.RunAsync("audit", "query", "--limit", "0", "--verdict", "maybe", "--bogus");
        using var keygen = await FastRelayProcess.RunAsync("keygen", "--out", "", "--bogus");

        foreach (var run in new[] { explain, check, query, keygen })
        {
            Assert.Equal(2, await run.WaitForExitAsync());
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }

        Assert.Contains("4 configuration errors", explain.StandardError, StringComparison.Ordinal);
        Assert.Contains("--bogus: not a flag of 'fastrelay policy explain'", explain.StandardError, StringComparison.Ordinal);
        Assert.Contains("--src 'bad'", explain.StandardError, StringComparison.Ordinal);
        Assert.Contains("--port '0'", explain.StandardError, StringComparison.Ordinal);
        Assert.Contains("bad.json: SecurityGroups[0].Rules[0].DestinationIP 'nope': undefined IP set", explain.StandardError, StringComparison.Ordinal);

        Assert.Contains("--strict: not a flag of 'fastrelay policy check'", check.StandardError, StringComparison.Ordinal);
        Assert.Contains("bad.json: SecurityGroups[0].Rules[0].DestinationIP 'nope'", check.StandardError, StringComparison.Ordinal);

        Assert.Contains("3 configuration errors", query.StandardError, StringComparison.Ordinal);
        Assert.Contains("--limit '0'", query.StandardError, StringComparison.Ordinal);
        Assert.Contains("--verdict 'maybe'", query.StandardError, StringComparison.Ordinal);

        Assert.Contains("--bogus: not a flag of 'fastrelay keygen'", keygen.StandardError, StringComparison.Ordinal);
        Assert.Contains("--out '': expected the path of the private key file to write", keygen.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFlagWithoutItsValue_IsListedWithTheCommandsOwnErrors()
    {
        var ca = Path.Combine(_dir, "ca");
        using var init = await FastRelayProcess.RunAsync("ca", "init", "--dir", ca, "--ocsp-url", "notaurl", "--crl-url");
        using var issue = await FastRelayProcess.RunAsync("ca", "issue", "--dir", ca, "--days", "0", "--name");
        using var query = await FastRelayProcess.RunAsync("audit", "query", "--limit", "0", "--since");

        foreach (var run in new[] { init, issue, query })
        {
            Assert.Equal(2, await run.WaitForExitAsync());
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }

        Assert.Contains("--crl-url: no value; expected --crl-url URL", init.StandardError, StringComparison.Ordinal);
        Assert.Contains("--ocsp-url 'notaurl'", init.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ca)); // Nothing was done.

        Assert.Contains("--name: no value", issue.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--name: required", issue.StandardError, StringComparison.Ordinal); // Once, not also as missing.
        Assert.Contains("--server or --client: required", issue.StandardError, StringComparison.Ordinal);
        Assert.Contains("--days '0'", issue.StandardError, StringComparison.Ordinal);

        Assert.Contains("--since: no value", query.StandardError, StringComparison.Ordinal);
        Assert.Contains("--limit '0'", query.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFlagTakenAsTheValueOfTheFlagBefore_IsRefused_NothingWritten()
    {
        using var keygen = await FastRelayProcess.RunAsync("keygen", "--out", "--force");
        Assert.Equal(2, await keygen.WaitForExitAsync());
        Assert.Contains("--out: no value; expected --out FILE ('--force' is a flag of 'fastrelay keygen', not a value)", keygen.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(keygen.WorkingDirectory, "--force")));

        using var init = await FastRelayProcess.RunAsync("ca", "init", "--dir", "--name", "X");
        Assert.Equal(2, await init.WaitForExitAsync());
        Assert.Contains("--dir: no value; expected --dir DIR ('--name' is a flag of 'fastrelay ca init', not a value)", init.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--dir: required", init.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(init.WorkingDirectory, "--name")));

        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "--route", "crm=127.0.0.1:1");
        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("--listen: no value; expected --listen [SERVICE@]ADDR:PORT ('--route' is a flag of 'fastrelay edge', not a value)", edge.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--route:", edge.StandardError, StringComparison.Ordinal); // The route was read as a route.

        // Help and version are flags too (the root's, inherited): refused as values, nothing printed or made.
        using var help = await FastRelayProcess.RunAsync("ca", "init", "--dir", "--help");
        Assert.Equal(2, await help.WaitForExitAsync());
        Assert.Contains("--dir: no value; expected --dir DIR ('--help' is a flag of 'fastrelay ca init', not a value)", help.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(help.WorkingDirectory, "--help")));
        using var version = await FastRelayProcess.RunAsync("keygen", "--out", "--version");
        Assert.Equal(2, await version.WaitForExitAsync());
        Assert.Contains("--out: no value", version.StandardError, StringComparison.Ordinal);

        // A slip that swallowed --config: the flag is read as a flag again and its file as a file, not a stray word.
        var config = Write("slip.json", $$"""{"out": "{{Path.Combine(_dir, "from-file.key")}}"}""");
        using var slip = await FastRelayProcess.RunAsync("keygen", "--out", "--config", config);
        Assert.Equal(2, await slip.WaitForExitAsync());
        Assert.Contains("--out: no value; expected --out FILE ('--config' is a flag of 'fastrelay keygen', not a value)", slip.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("not expected here", slip.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "from-file.key"))); // Listed, not done.

        // A value that only looks like a flag is still a value.
        using var dotted = await FastRelayProcess.RunAsync("keygen", "--out", "./--force");
        Assert.Equal(0, await dotted.WaitForExitAsync());
        Assert.True(File.Exists(Path.Combine(dotted.WorkingDirectory, "--force")));
    }

    [Fact]
    public async Task ValuesFromTheConfigFile_AreNamedByFileAndKey()
    {
        var config = Write("issue.json", $$"""{"dir": "{{Path.Combine(_dir, "ca")}}", "name": "web", "server": true, "dns": ["web.corp"], "ip": ["10.9.8.7", "10.1", "a", "a'b"], "days": "x"}""");
        var empty = Write("check.json", """{"out": "x"}""");
        var policy = Write("good.json", """{"SecurityGroups": [{"Name": "g", "Rules": [{"SourceIP": "10.0.0.0/8", "Action": "Allow"}]}]}""");

        using var issue = await FastRelayProcess.RunAsync("ca", "issue", "--config", config);
        using var check = await FastRelayProcess.RunAsync("policy", "check", "--config", empty, policy);

        Assert.Equal(2, await issue.WaitForExitAsync());
        Assert.Contains("issue.json: days 'x': expected a whole number of days", issue.StandardError, StringComparison.Ordinal);
        Assert.Contains("issue.json: ip[1] '10.1': expected an IPv4 or IPv6 address", issue.StandardError, StringComparison.Ordinal); // A list item by its index.
        Assert.Contains("issue.json: ip[2] 'a': expected", issue.StandardError, StringComparison.Ordinal);
        Assert.Contains("issue.json: ip[3] 'a'b': expected", issue.StandardError, StringComparison.Ordinal); // Not ip[2]'s, whose value 'a' it starts with.
        Assert.DoesNotContain("--days", issue.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await check.WaitForExitAsync());
        Assert.Contains("check.json: out: unknown key; this command has no flags to set", check.StandardError, StringComparison.Ordinal);

        // A NUL in a path from a file (a command line cannot carry one): named, never an exception from a file API.
        using var nul = await FastRelayProcess.RunAsync("keygen", "--config", Write("nul.json", """{"out": "a\u0000b"}"""));
        Assert.Equal(2, await nul.WaitForExitAsync());
        Assert.Contains("nul.json: out", nul.StandardError, StringComparison.Ordinal);
        Assert.Contains("contains a NUL character", nul.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", nul.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoneSurrogateEscapes_NamedWithTheirPath_Exit2()
    {
        // Valid JSON that System.Text.Json cannot turn into a string: every reader checks for it first.
        var policy = Write("surrogate-policy.json", """{"SecurityGroups": [{"Name": "\uD800", "Rules": []}]}""");
        var config = Write("surrogate.json", """{"out": "\uDC00.key"}""");

        using var check = await FastRelayProcess.RunAsync("policy", "check", policy);
        using var keygen = await FastRelayProcess.RunAsync("keygen", "--config", config);

        Assert.Equal(2, await check.WaitForExitAsync());
        Assert.Contains("SecurityGroups[0].Name: a \\u escape that is not valid UTF-16", check.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await keygen.WaitForExitAsync());
        Assert.Contains("surrogate.json: out: a \\u escape that is not valid UTF-16", keygen.StandardError, StringComparison.Ordinal);
        foreach (var run in new[] { check, keygen })
        {
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ExtremeValues_Exit2OrRun_NeverAStackTrace()
    {
        var store = Write("audit.jsonl", "");

        using var keygen = await FastRelayProcess.RunAsync("keygen", "--out", "");
        using var since = await FastRelayProcess.RunAsync("audit", "query", "--audit", "jsonl:" + store, "--since", "18000000h");
        using var ocsp = await FastRelayProcess.RunAsync("ca", "ocsp", "--dir", _dir, "--validity", "100000000h");

        Assert.Equal(2, await keygen.WaitForExitAsync());
        Assert.Equal(0, await since.WaitForExitAsync()); // From the beginning of time: the (empty) store, no overflow.
        Assert.Equal(2, await ocsp.WaitForExitAsync());
        Assert.Contains("--validity '100000000h': expected a duration such as 250ms, 75s, 5m or 72h, from 1s to 8784h", ocsp.StandardError, StringComparison.Ordinal);
        foreach (var run in new[] { keygen, since, ocsp })
        {
            Assert.DoesNotContain("Unhandled exception", run.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ShorthandAddresses_AreErrors_NotADifferentAddress()
    {
        var ca = Path.Combine(_dir, "ca");
        using var init = await FastRelayProcess.RunAsync("ca", "init", "--dir", ca, "--name", "Test CA");
        Assert.Equal(0, await init.WaitForExitAsync());

        using var issue = await FastRelayProcess.RunAsync("ca", "issue", "--dir", ca, "--name", "web", "--server", "--dns", "web.corp", "--ip", "1.2.3", "--ip", "0x7f.1", "--ip", "10.9.8.7");
        using var query = await FastRelayProcess.RunAsync("audit", "query", "--audit", "jsonl:" + Write("a.jsonl", ""), "--source", "127.1");

        Assert.Equal(2, await issue.WaitForExitAsync());
        Assert.Contains("--ip '1.2.3'", issue.StandardError, StringComparison.Ordinal);
        Assert.Contains("--ip '0x7f.1'", issue.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.8.7", issue.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ca, "web.pem")));
        Assert.Equal(2, await query.WaitForExitAsync());
        Assert.Contains("--source '127.1'", query.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_ShowsWhatTheRelayEnforces_ThenWhatTheDryRunGroupsWouldDecide()
    {
        var staged = Write("staged.json", """
            {"SecurityGroups": [
              {"Name": "staged", "DryRun": true, "Direction": "Inbound", "Rules": [{"SourceIP": "10.0.0.0/8", "Action": "Deny"}]},
              {"Name": "live", "Direction": "Inbound", "Rules": [{"SourceIP": "0.0.0.0/0", "Action": "Allow"}]}]}
            """);
        var whole = Write("whole.json", """
            {"DryRun": true, "SecurityGroups": [{"Name": "all", "Direction": "Inbound", "Rules": [{"SourceIP": "10.0.0.0/8", "Action": "Deny"}]}]}
            """);

        using var changed = await FastRelayProcess.RunAsync("policy", "explain", staged, "--src", "10.1.1.1", "--dst", "10.2.2.2", "--port", "443");
        using var same = await FastRelayProcess.RunAsync("policy", "explain", staged, "--src", "11.1.1.1", "--dst", "10.2.2.2", "--port", "443");
        using var nothingEnforced = await FastRelayProcess.RunAsync("policy", "explain", whole, "--src", "10.1.1.1", "--dst", "10.2.2.2", "--port", "443");

        Assert.Equal(0, await changed.WaitForExitAsync());
        Assert.StartsWith("Allow by live rule 0 (group live", changed.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dry run: with the DryRun groups (staged) it would be Deny by staged rule 0", changed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, await same.WaitForExitAsync());
        Assert.StartsWith("Allow by live rule 0", same.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dry run: the DryRun groups (staged) would not change it", same.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, await nothingEnforced.WaitForExitAsync());
        Assert.StartsWith("Allow: the whole policy is DryRun", nothingEnforced.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dry run: it would be Deny by all rule 0", nothingEnforced.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replacing_AKeyOrACrl_ByRename_LeavesNoTemporaryFile()
    {
        var key = Path.Combine(_dir, "node.key");
        using var first = await FastRelayProcess.RunAsync("keygen", "--out", key);
        Assert.Equal(0, await first.WaitForExitAsync());
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var old = await File.ReadAllTextAsync(key);

        using var replaced = await FastRelayProcess.RunAsync("keygen", "--out", key, "--force");
        Assert.Equal(0, await replaced.WaitForExitAsync());
        Assert.NotEqual(old, await File.ReadAllTextAsync(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));

        var ca = Path.Combine(_dir, "ca");
        using var init = await FastRelayProcess.RunAsync("ca", "init", "--dir", ca, "--name", "Test CA");
        Assert.Equal(0, await init.WaitForExitAsync());
        var directory = Directory.CreateDirectory(Path.Combine(_dir, "crl-dir")).FullName;
        using var crl = await FastRelayProcess.RunAsync("ca", "crl", "--dir", ca, "--out", directory);
        Assert.Equal(1, await crl.WaitForExitAsync());
        Assert.Contains("is a directory", crl.StandardError, StringComparison.Ordinal);
        using var nowhere = await FastRelayProcess.RunAsync("ca", "crl", "--dir", ca, "--out", Path.Combine(_dir, "missing", "ca.crl"));
        Assert.Equal(1, await nowhere.WaitForExitAsync());
        Assert.Contains("does not exist", nowhere.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", nowhere.StandardError, StringComparison.Ordinal);
        using var unwritable = await FastRelayProcess.RunAsync("ca", "crl", "--dir", ca, "--out", "/proc/self/ca.crl"); // Refused even to root.
        Assert.Equal(1, await unwritable.WaitForExitAsync());
        Assert.Contains("'/proc/self/ca.crl'", unwritable.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", unwritable.StandardError, StringComparison.Ordinal);

        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
