using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.CommandLine;

/// <summary>
/// Bad flags and config: every error at once, each naming its flag or JSON path, exit code 2, no stack
/// trace (cli.md). Guards scripts that branch on the exit code and people who fix one error per run.
/// </summary>
public sealed class BadFlagsTests
{
    [Fact]
    public async Task Edge_ManyBadFlags_Exit2_EachFlagNamed_NoStackTrace()
    {
        using var relay = await FastRelayProcess.RunAsync(
            "edge", "--listen", "nope", "--route", "crm=10.0.0.5", "--connect-timeout", "5",
            "--idle-timeout", "soon", "--max-connections", "0", "--log-level", "loud", "--bogus");

        Assert.Equal(2, await relay.WaitForExitAsync());
        var stderr = relay.StandardError;
        foreach (var named in new[] { "--listen 'nope'", "--route 'crm=10.0.0.5'", "--connect-timeout '5'", "--idle-timeout 'soon'", "--max-connections '0'", "--log-level 'loud'", "--bogus" })
        {
            Assert.Contains(named, stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadFilesAreListedWithOtherBadFlags_NotOnlyOnceTheRestIsRight()
    {
        // cli.md: every error at once. The CRL, staple and tunnel key files are read even when another flag is bad.
        using var pki = TestCertificates.Create();
        var missing = Path.Combine(Path.GetTempPath(), $"fastrelay-missing-{Guid.NewGuid():N}");
        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", pki.CaFile,
            "--crl", missing + ".crl", "--ocsp-staple", missing + ".der", "--log-level", "bogus", "--admin", "off", "--audit", "off");
        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("3 configuration errors", edge.StandardError, StringComparison.Ordinal);
        Assert.Contains("--log-level 'bogus'", edge.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--crl {missing}.crl: file not found", edge.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--ocsp-staple {missing}.der: file not found", edge.StandardError, StringComparison.Ordinal);

        foreach (var (flag, empty) in new[] { ("--crl", "--client-ca"), ("--client-ca", "--crl") })
        {
            // Empty paths (a config file's "crl": "", say) are errors, never an unhandled exception.
            using var blank = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
                "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, flag, "", empty, flag == "--crl" ? pki.CaFile : missing + ".crl",
                "--admin", "off", "--audit", "off");
            Assert.Equal(2, await blank.WaitForExitAsync());
            Assert.Contains($"{flag} ''", blank.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", blank.StandardError, StringComparison.Ordinal);
        }

        // A CRL that is no CRL is named even when the CA bundle is bad too (it cannot be verified then, but it can be read).
        var junk = Path.Combine(Path.GetTempPath(), $"fastrelay-junk-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(junk, "junk\n");
        try
        {
            using var both = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
                "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", junk, "--crl", junk, "--admin", "off", "--audit", "off");
            Assert.Equal(2, await both.WaitForExitAsync());
            Assert.Contains($"--client-ca {junk}: no PEM CERTIFICATE block found", both.StandardError, StringComparison.Ordinal);
            Assert.Contains($"--crl {junk}: no CRL in it", both.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(junk);
        }

        // An empty --handoff or --policy (an unset shell variable) is refused, not taken as "off".
        using var unset = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--handoff", "", "--policy", "", "--admin", "off", "--audit", "off");
        Assert.Equal(2, await unset.WaitForExitAsync());
        Assert.Contains("2 configuration errors", unset.StandardError, StringComparison.Ordinal);
        Assert.Contains("--handoff '': expected a value, not an empty one", unset.StandardError, StringComparison.Ordinal);
        Assert.Contains("--policy '': expected a value", unset.StandardError, StringComparison.Ordinal);

        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--tunnel-key", missing,
            "--edge-key", Convert.ToBase64String(new byte[32]), "--allow-any-target", "--log-format", "xml", "--admin", "off", "--audit", "off");
        Assert.Equal(2, await gateway.WaitForExitAsync());
        Assert.Contains("--log-format 'xml'", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tunnel-key '{missing}'", gateway.StandardError, StringComparison.Ordinal);

        // In CA mode the bundle and the certificate are read too, not only the key.
        using var caMode = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--tunnel-key", missing,
            "--tunnel-ca", missing + ".ca", "--tunnel-cert", missing + ".crt", "--tunnel-cert-key", missing + ".certkey", "--allow-any-target",
            "--log-format", "xml", "--admin", "off", "--audit", "off");
        Assert.Equal(2, await caMode.WaitForExitAsync());
        Assert.Contains("--log-format 'xml'", caMode.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tunnel-key '{missing}'", caMode.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{missing}.ca", caMode.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoAndCa_UnknownFlagListedWithTheValueErrors_AndNothingIsDone()
    {
        using var demo = await FastRelayProcess.RunAsync("demo", "--bogus", "--sessions", "x", "--duration", "y");
        Assert.Equal(2, await demo.WaitForExitAsync());
        Assert.Contains("3 configuration errors", demo.StandardError, StringComparison.Ordinal);
        Assert.Contains("--bogus: not a flag of 'fastrelay demo'", demo.StandardError, StringComparison.Ordinal);
        Assert.Contains("--sessions 'x'", demo.StandardError, StringComparison.Ordinal);
        Assert.Contains("--duration 'y'", demo.StandardError, StringComparison.Ordinal);

        var dir = Path.Combine(Path.GetTempPath(), $"fastrelay-ca-{Guid.NewGuid():N}");
        using var init = await FastRelayProcess.RunAsync("ca", "init", "--dir", dir, "--bogus", "--days", "x");
        Assert.Equal(2, await init.WaitForExitAsync());
        Assert.Contains("--bogus: not a flag of 'fastrelay ca init'", init.StandardError, StringComparison.Ordinal);
        Assert.Contains("--days 'x'", init.StandardError, StringComparison.Ordinal);

        using var valid = await FastRelayProcess.RunAsync("ca", "init", "--dir", dir, "--bogus"); // Every value fine: still nothing made.
        Assert.Equal(2, await valid.WaitForExitAsync());
        Assert.Contains("1 configuration error", valid.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Edge_FlagOfALaterPiece_Exit2_SaysItIsNotAvailableYet()
    {
        // Ignoring --crl without client certificates would let the user believe revoked clients are shut out.
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--crl", "corp.crl");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--crl 'corp.crl': only means something with client certificates; add --client-ca FILE", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_BadRateFlags_Exit2_EachNamed()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--conn-rate", "fast", "--bandwidth", "10MiB");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--conn-rate 'fast': expected a rate such as 100/s", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--bandwidth '10MiB': expected a bandwidth such as", relay.StandardError, StringComparison.Ordinal);

        using var orphan = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--conn-burst", "5");
        Assert.Equal(2, await orphan.WaitForExitAsync());
        Assert.Contains("--conn-burst '5': only means something with --conn-rate", orphan.StandardError, StringComparison.Ordinal);

        using var identity = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--conn-rate", "10/s", "--rate-key", "identity");
        Assert.Equal(2, await identity.WaitForExitAsync());
        Assert.Contains("--rate-key 'identity': needs client certificates", identity.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_BadDataPathFlags_Exit2_EachNamedWithTheValuesExpected()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--data-path", "uring", "--splice", "maybe");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--data-path 'uring': expected one of epoll|pipes", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--splice 'maybe': expected one of on|off", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_NoFlags_Exit2_AsksForListenAndRoute()
    {
        using var relay = await FastRelayProcess.RunAsync("edge");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--listen", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--route", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_RepeatedSingleFlag_Exit2()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--idle-timeout", "1s", "--idle-timeout", "2s");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("more than once", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_BadConfigFile_Exit2_NamesFileKeyAndValue()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{ "listen": ["127.0.0.1:0"], "route": "a=127.0.0.1:1", "conectTimeout": "1s", "idleTimeout": "never", "maxConnections": {} }""");
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--config", path);
            Assert.Equal(2, await relay.WaitForExitAsync());
            var file = Path.GetFileName(path);
            Assert.Contains($"{file}: conectTimeout", relay.StandardError, StringComparison.Ordinal);
            Assert.Contains($"{file}: idleTimeout 'never'", relay.StandardError, StringComparison.Ordinal);
            Assert.Contains($"{file}: maxConnections", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Edge_ConfigAndPolicyNotUtf8_Exit2_SaysSo()
    {
        var config = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");
        var policy = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(config, [.. "{\"listen\": [\"127.0.0.1:0\"], \"route\": \"a=h:1\", \"log-level\": \"d"u8, 0xC5, .. "\"}"u8]);
        await File.WriteAllBytesAsync(policy, [.. "{\"SecurityGroups\": [{\"Name\": \"G"u8, 0xFF, .. "\", \"Rules\": []}]}"u8]);
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--config", config, "--policy", policy);
            Assert.Equal(2, await relay.WaitForExitAsync());
            Assert.Contains("not valid UTF-8 text at byte", relay.StandardError, StringComparison.Ordinal);
            Assert.Contains("the file is not valid UTF-8 text", relay.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
            File.Delete(policy);
        }
    }

    [Fact]
    public async Task Edge_ConfigWithByteOrderMark_IsRead_AndADirectoryIsNamedAsOne()
    {
        // Windows editors save UTF-8 with a BOM: the file is read past it (the bad value below proves the keys were seen).
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, .. """{ "listen": ["127.0.0.1:0"], "route": "a=127.0.0.1:1", "idleTimeout": "never" }"""u8]);
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--config", path);
            Assert.Equal(2, await relay.WaitForExitAsync());
            Assert.Contains($"{Path.GetFileName(path)}: idleTimeout 'never'", relay.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("expected a JSON object", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        using var directory = await FastRelayProcess.RunAsync("edge", "--config", Path.GetTempPath());
        Assert.Equal(2, await directory.WaitForExitAsync());
        Assert.Contains("it is a directory; expected a JSON file", directory.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileThatOthersDependOnIsBad_TheOthersAreStillRead()
    {
        // The staple is checked against the certificate and a CRL against the CA bundle; when those cannot be loaded
        // the files are still read, so an unreadable one is listed in the same run (once).
        using var pki = TestCertificates.Create();
        var missing = Path.Combine(Path.GetTempPath(), $"fastrelay-missing-{Guid.NewGuid():N}");
        using var noCert = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", missing + ".pem", "--tls-key", pki.ServerKeyFile, "--client-ca", pki.CaFile,
            "--crl", missing + ".crl", "--ocsp-staple", missing + ".der", "--admin", "off", "--audit", "off");
        using var noCa = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", missing + ".ca",
            "--crl", missing + ".crl", "--ocsp-staple", missing + ".der", "--admin", "off", "--audit", "off");
        using var noCaBadFlag = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", missing + ".ca",
            "--crl", missing + ".crl", "--log-level", "loud", "--admin", "off", "--audit", "off");

        Assert.Equal(2, await noCert.WaitForExitAsync());
        Assert.Contains("3 configuration errors", noCert.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tls-cert {missing}.pem: file not found", noCert.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--ocsp-staple {missing}.der: file not found", noCert.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--crl {missing}.crl: file not found", noCert.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noCa.WaitForExitAsync());
        Assert.Contains("3 configuration errors", noCa.StandardError, StringComparison.Ordinal); // The staple once.
        Assert.Contains($"--client-ca {missing}.ca: file not found", noCa.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--crl {missing}.crl: file not found", noCa.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noCaBadFlag.WaitForExitAsync());
        Assert.Contains("3 configuration errors", noCaBadFlag.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--crl {missing}.crl: file not found", noCaBadFlag.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheParsersOwnErrors_AreWordedLikeOurs_FlagValueAndWhatIsExpected()
    {
        using var unknown = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--foo", "bar");
        using var required = await FastRelayProcess.RunAsync("keygen");
        using var noValue = await FastRelayProcess.RunAsync("keygen", "--out");
        using var noArgument = await FastRelayProcess.RunAsync("policy", "check");
        using var noCommand = await FastRelayProcess.RunAsync("ca", "inti");

        Assert.Equal(2, await unknown.WaitForExitAsync());
        Assert.Contains("--foo: not a flag of 'fastrelay edge'; expected one of the flags 'fastrelay edge --help' lists", unknown.StandardError, StringComparison.Ordinal);
        Assert.Contains("'bar': not expected here", unknown.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await required.WaitForExitAsync());
        Assert.Contains("--out: missing; 'fastrelay keygen' needs --out FILE", required.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noValue.WaitForExitAsync());
        Assert.Contains("--out: no value; expected --out FILE", noValue.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noArgument.WaitForExitAsync());
        Assert.Contains("FILE: missing; expected 'fastrelay policy check FILE'", noArgument.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await noCommand.WaitForExitAsync());
        Assert.Contains("'inti': not a command of 'fastrelay ca'; expected one of init, issue, revoke, crl, ocsp", noCommand.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProblemsThatDoNotDependOnEachOther_AreAllListed()
    {
        // A review found each of these reported only once the one before it was mended (cli.md: every error at once).
        using var pki = TestCertificates.Create();
        var missing = Path.Combine(Path.GetTempPath(), $"fastrelay-missing-{Guid.NewGuid():N}");
        var garbage = Path.Combine(pki.Directory, "garbage.der");
        await File.WriteAllBytesAsync(garbage, [0x30, 0x03, 0x0a, 0x01, 0x00, 0xff]);

        // Both TLS files missing.
        using var noFiles = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", missing + ".pem", "--tls-key", missing + ".key", "--admin", "off", "--audit", "off");

        // A key of another certificate, and a staple that is not an OCSP response.
        using var wrongKeyBadStaple = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ClientKeyFile, "--ocsp-staple", garbage, "--admin", "off", "--audit", "off");

        // Neither file holds PEM (a certificate that failed used to hide the key's problem).
        var notPem = Path.Combine(pki.Directory, "notes.json");
        await File.WriteAllTextAsync(notPem, "{\"not\": \"pem\"}\n");
        using var neitherPem = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", notPem, "--tls-key", notPem, "--admin", "off", "--audit", "off");

        // An encrypted key beside a certificate file that is not PEM: both named.
        var encryptedKey = Path.Combine(pki.Directory, "encrypted.key");
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(encryptedKey, key.ExportEncryptedPkcs8PrivateKeyPem("secret",
                new System.Security.Cryptography.PbeParameters(System.Security.Cryptography.PbeEncryptionAlgorithm.Aes128Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 1000)));
        }

        using var encrypted = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", notPem, "--tls-key", encryptedKey, "--admin", "off", "--audit", "off");

        // A key of another certificate, and a staple that cannot be read at all (a directory).
        using var wrongKeyStapleDirectory = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ClientKeyFile, "--ocsp-staple", pki.Directory, "--admin", "off", "--audit", "off");

        // The right key and a staple that cannot be read: refused, never served without the staple it asked for.
        using var stapleDirectory = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--ocsp-staple", pki.Directory, "--admin", "off", "--audit", "off");

        // A bad rate and a bad key for it.
        using var rate = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--conn-rate", "100", "--conn-burst", "none", "--rate-key", "foo", "--admin", "off", "--audit", "off");

        // Without --gateway the tunnel key is ignored (a warning), whether or not another flag is bad.
        using var tunnel = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tunnel-key", missing + ".key", "--keepalive", "0", "--admin", "off", "--audit", "off");

        Assert.Equal(2, await noFiles.WaitForExitAsync());
        Assert.Contains($"--tls-cert {missing}.pem: file not found", noFiles.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tls-key {missing}.key: file not found", noFiles.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await wrongKeyBadStaple.WaitForExitAsync());
        Assert.Contains($"--tls-key {pki.ClientKeyFile}: does not match the certificate", wrongKeyBadStaple.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--ocsp-staple {garbage}: not an OCSP response", wrongKeyBadStaple.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await neitherPem.WaitForExitAsync());
        Assert.Contains($"--tls-cert {notPem}: no PEM CERTIFICATE block found", neitherPem.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tls-key {notPem}: no PEM private key block found", neitherPem.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await encrypted.WaitForExitAsync());
        Assert.Contains($"--tls-cert {notPem}: no PEM CERTIFICATE block found", encrypted.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--tls-key {encryptedKey}: the key is encrypted", encrypted.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await wrongKeyStapleDirectory.WaitForExitAsync());
        Assert.Contains($"--tls-key {pki.ClientKeyFile}: does not match the certificate", wrongKeyStapleDirectory.StandardError, StringComparison.Ordinal);
        Assert.Contains($"--ocsp-staple {pki.Directory}:", wrongKeyStapleDirectory.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await stapleDirectory.WaitForExitAsync());
        Assert.Contains($"--ocsp-staple {pki.Directory}:", stapleDirectory.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("running", stapleDirectory.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, await rate.WaitForExitAsync());
        Assert.Contains("--conn-rate '100': expected a rate such as", rate.StandardError, StringComparison.Ordinal);
        Assert.Contains("--conn-burst 'none': expected a whole number", rate.StandardError, StringComparison.Ordinal);
        Assert.Contains("--rate-key 'foo': expected source-ip, identity or service", rate.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await tunnel.WaitForExitAsync());
        Assert.Contains("--keepalive '0'", tunnel.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("file not found", tunnel.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndlessFiles_AreRefusedAsTooLarge_NotReadIntoMemory()
    {
        // /dev/zero never ends: read whole, it took 4 GB and an unhandled OutOfMemoryException. Every file input is
        // bounded; the error names the flag, the file and the limit.
        using var pki = TestCertificates.Create();
        using var config = await FastRelayProcess.RunAsync("edge", "--config", "/dev/zero");
        using var files = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile, "--client-ca", pki.CaFile, "--crl", "/dev/zero",
            "--ocsp-staple", "/dev/zero", "--policy", "/dev/zero", "--admin", "off", "--audit", "off");
        using var pem = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", "/dev/zero", "--tls-key", pki.ServerKeyFile, "--admin", "off", "--audit", "off");
        using var check = await FastRelayProcess.RunAsync("policy", "check", "/dev/zero");
        var key = Path.Combine(Path.GetTempPath(), $"fastrelay-key-{Guid.NewGuid():N}");
        using (var keygen = await FastRelayProcess.RunAsync("keygen", "--out", key))
        {
            Assert.Equal(0, await keygen.WaitForExitAsync());
        }

        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--tunnel-key", key, "--tunnel-ca", "/dev/zero",
            "--tunnel-cert", "/dev/zero", "--tunnel-cert-key", key, "--allow-any-target", "--admin", "off", "--audit", "off");
        Assert.Equal(2, await gateway.WaitForExitAsync());
        File.Delete(key);
        Assert.Contains("--tunnel-ca '/dev/zero': too large for a PEM file (more than 4 MiB)", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains("--tunnel-cert '/dev/zero' / --tunnel-cert-key '" + key + "': /dev/zero: too large for a PEM file (more than 4 MiB)", gateway.StandardError, StringComparison.Ordinal);

        Assert.Equal(2, await config.WaitForExitAsync());
        Assert.Contains("--config '/dev/zero': too large for a JSON file (more than 4 MiB)", config.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await files.WaitForExitAsync());
        Assert.Contains("--crl /dev/zero: too large for a CRL file (more than 64 MiB)", files.StandardError, StringComparison.Ordinal);
        Assert.Contains("--ocsp-staple /dev/zero: too large for a DER OCSP response file (more than 1 MiB)", files.StandardError, StringComparison.Ordinal);
        Assert.Contains("--policy /dev/zero: too large for a policy JSON file (more than 16 MiB)", files.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await pem.WaitForExitAsync());
        Assert.Contains("--tls-cert /dev/zero: too large for a PEM file (more than 4 MiB)", pem.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, await check.WaitForExitAsync());
        Assert.Contains("too large for a policy JSON file (more than 16 MiB)", check.StandardError, StringComparison.Ordinal);
        foreach (var process in new[] { config, files, pem, check, gateway })
        {
            Assert.DoesNotContain("Unhandled exception", process.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", process.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Edge_MissingConfigFile_Exit2_SaysFileNotFound()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--config", "/nonexistent/edge.json");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--config '/nonexistent/edge.json': file not found", relay.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edge")]
    [InlineData("demo")]
    public async Task EveryCommand_HelpAndVersion_Exit0(string command)
    {
        using var help = await FastRelayProcess.RunAsync(command, "--help");
        Assert.Equal(0, await help.WaitForExitAsync());
        Assert.Contains("Usage:", help.StandardOutput, StringComparison.Ordinal);
        using var version = await FastRelayProcess.RunAsync(command, "--version");
        Assert.Equal(0, await version.WaitForExitAsync());
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StandardOutput);
    }

    [Fact]
    public async Task EdgeHelp_ListsEveryFlagWithItsDefault()
    {
        using var help = await FastRelayProcess.RunAsync("edge", "--help");
        Assert.Equal(0, await help.WaitForExitAsync());
        foreach (var flag in new[] { "--listen", "--route", "--config", "--connect-timeout", "--idle-timeout", "--max-connections", "--drain-timeout", "--buffer-size", "--data-path", "--splice", "--log-format", "--log-level" })
        {
            Assert.Contains(flag, help.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("[default: 5s]", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("[default: 30s]", help.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("edge", "--config")]
    [InlineData("edge", "--config=")]
    [InlineData("edge", "--config", "a.json", "--config", "b.json")]
    [InlineData("gateway", "--config")]
    [InlineData("gateway", "--config", "a.json", "--config=b.json")]
    public async Task ConfigWithoutAValueOrTwice_Exit2_NamesIt_NoCrash(params string[] args)
    {
        // GetValue on a --config the parser refused threw: an unhandled exception and SIGABRT (exit 134).
        using var relay = await FastRelayProcess.RunAsync(args);
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("  --config", relay.StandardError, StringComparison.Ordinal); // "--config: no value", "--config: given 2 times".
        Assert.DoesNotContain("   at ", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BucketsThatWouldTakeYearsToRefill_Exit2_NameTheFlag()
    {
        // Their bucket counts in clock ticks and threw at start ("the burst takes too long to refill"): exit 1 and a trace.
        using var burst = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--conn-rate", "1/h", "--conn-burst", "1000000000");
        Assert.Equal(2, await burst.WaitForExitAsync());
        Assert.Contains("--conn-burst '1000000000': this burst takes over 10 years to refill", burst.StandardError, StringComparison.Ordinal);

        using var rate = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--conn-rate", "0.0000000001/s");
        Assert.Equal(2, await rate.WaitForExitAsync());
        Assert.Contains("--conn-rate '0.0000000001/s': too slow: its burst of 1 connection takes over 10 years", rate.StandardError, StringComparison.Ordinal);

        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--handshake-rate", "0.0000000001/s", "--allow-any-target");
        Assert.Equal(2, await gateway.WaitForExitAsync());
        Assert.Contains("--handshake-rate '0.0000000001/s': too slow", gateway.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", burst.StandardError + rate.StandardError + gateway.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switches_TakeTrueOrFalse_AsTheHelpSays()
    {
        // cli.md and --help: "--recheck-established true|false". The parser refused a value for a zero-or-one flag
        // ("Cannot parse argument 'false' ... as System.String[]"). The one bad flag left proves the rest parsed.
        using var edge = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--recheck-established", "false", "--max-connections", "x");
        Assert.Equal(2, await edge.WaitForExitAsync());
        Assert.Contains("fastrelay: 1 configuration error:", edge.StandardError, StringComparison.Ordinal);

        using var gateway = await FastRelayProcess.RunAsync("gateway", "--listen", "127.0.0.1:0", "--recheck-established=true", "--allow-any-target", "false",
            "--max-streams", "x");
        Assert.Equal(2, await gateway.WaitForExitAsync());
        Assert.DoesNotContain("--recheck-established", gateway.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("--allow-any-target", gateway.StandardError.Split("--policy:")[0], StringComparison.Ordinal);
        Assert.Contains("--max-streams 'x'", gateway.StandardError, StringComparison.Ordinal);

        using var maybe = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--recheck-established", "maybe");
        Assert.Equal(2, await maybe.WaitForExitAsync());
        Assert.Contains("--recheck-established 'maybe': expected true or false", maybe.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamedValues_AreNamesOnly_NotTheNumbersBehindThem()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--data-path=-1", "--splice", "1", "--log-level", " +3");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--data-path '-1': expected one of epoll|pipes", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--splice '1': expected one of on|off", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--log-level ' +3': expected one of trace|debug", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValueStartingWithAt_IsAValue_NotAResponseFile()
    {
        // System.CommandLine's default reads "@FILE" as the arguments in FILE: "--log-level @level" took "debug" from it.
        var file = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.rsp");
        await File.WriteAllTextAsync(file, "debug\n");
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--log-level", "@" + file);
            Assert.Equal(2, await relay.WaitForExitAsync());
            Assert.Contains($"--log-level '@{file}': expected one of", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ConfigValueOfTheWrongShape_IsQuoted_WithItsPasswordMasked()
    {
        // The raw JSON was masked as one text: a list that opens with the password pair kept it ('["Password' is no key).
        var path = Path.Combine(Path.GetTempPath(), $"fastrelay-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{"audit": ["Password=s3cret;Host=db"], "audit-spool": {"password": "hunter2"}}""");
        try
        {
            using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", "--config", path);
            Assert.Equal(2, await relay.WaitForExitAsync());
            Assert.Contains(": audit '[\"Password=***;Host=db\"]': expected a single value, not a list", relay.StandardError, StringComparison.Ordinal);
            Assert.Contains(": audit-spool '{...}': expected a string or number", relay.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", relay.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", relay.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
