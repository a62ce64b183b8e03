using System.Diagnostics;
using System.Net;
using System.Text;
using FastRelay.Backends;
using FastRelay.IntegrationTests.Operating;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tls;

/// <summary>
/// <c>fastrelay edge --tls-cert … --client-ca …</c> as operators run it: bad TLS flags and files fail at start
/// with exit 2 and every problem named; a running edge serves mTLS, says why it refused a client (the TLS 1.3
/// trap: that client only sees EOF), reloads its certificate on SIGHUP, and interoperates with OpenSSL.
/// </summary>
public sealed class TlsEdgeProcessTests : IDisposable
{
    private readonly TestCertificates _pki = TestCertificates.Create();

    [Fact]
    public async Task BadTlsFlags_Exit2_EveryProblemNamed()
    {
        var missing = Path.Combine(_pki.Directory, "missing.key");
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", missing, "--client-ca", _pki.ServerCertFile, "--ocsp-staple", "",
            "--tls-handshake-timeout", "forever");
        Assert.Equal(2, await relay.WaitForExitAsync());
        var stderr = relay.StandardError;
        Assert.Contains($"--tls-key {missing}: file not found", stderr, StringComparison.Ordinal);
        Assert.Contains($"--client-ca {_pki.ServerCertFile}: 'CN=edge.test' is not a CA certificate", stderr, StringComparison.Ordinal);
        Assert.Contains("--ocsp-staple '': expected auto, off or the path of a DER OCSP response file", stderr, StringComparison.Ordinal);
        Assert.Contains("--tls-handshake-timeout 'forever'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyNotMatchingCertificate_Exit2()
    {
        var stranger = _pki.WriteKey("stranger.key", _pki.IssueServer("stranger.test"));
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", stranger);
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains($"--tls-key {stranger}: does not match the certificate in --tls-cert {_pki.ServerCertFile}", relay.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--client-ca", "only means something with TLS; add --tls-cert FILE --tls-key FILE")]
    [InlineData("--allow-cn", "only means something with TLS")]
    [InlineData("--tls-key", "needs --tls-cert FILE too")]
    public async Task TlsFlagWithoutTheRest_Exit2(string flag, string expected)
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1", flag, "x");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains($"{flag} 'x': {expected}", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowListWithoutClientCa_AndIdentityKeyWithoutIt_Exit2()
    {
        using var relay = await FastRelayProcess.RunAsync("edge", "--listen", "127.0.0.1:0", "--route", "a=127.0.0.1:1",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", _pki.ServerKeyFile, "--allow-san", "DNS:*.corp", "--conn-rate", "10/s", "--rate-key", "identity");
        Assert.Equal(2, await relay.WaitForExitAsync());
        Assert.Contains("--allow-san 'DNS:*.corp': checks client certificates, which are only asked for with --client-ca FILE", relay.StandardError, StringComparison.Ordinal);
        Assert.Contains("--rate-key 'identity': needs client certificates", relay.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_ServesMutualTls_LogsRefusalReason_ReloadsOnSighup()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", _pki.ServerKeyFile, "--client-ca", _pki.CaFile, "--ocsp-staple", "off",
            "--conn-rate", "100/s", "--rate-key", "identity", "--log-level", "debug");
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("TLS on every listener", StringComparison.Ordinal)), relay.StandardOutput);

        await using (var tls = await TlsTestClient.ConnectAsync(listen, _pki, _pki.Client))
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes("hello"));
            var buffer = new byte[5];
            await tls.ReadExactlyAsync(buffer).AsTask().WithTimeout();
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer));
        }

        // An expired client: its TLS 1.3 handshake call may succeed, but our log says exactly why it was closed.
        try
        {
            await using var expired = await TlsTestClient.ConnectAsync(listen, _pki, _pki.ExpiredClient);
            Assert.True(await expired.IsClosedByServerAsync());
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
        {
            // Refused within the handshake: fine too.
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("closed: ClientCertRejected", StringComparison.Ordinal)), relay.StandardOutput);
        Assert.Contains("the certificate expired on", relay.StandardOutput, StringComparison.Ordinal);

        // The admin endpoint sees the TLS side: handshakes and refusals in /metrics, the certificates in /status.
        var admin = await relay.AdminEndPointAsync();
        var metrics = (await AdminProcessTests.GetAsync(admin, "/metrics")).Body;
        Assert.Equal(1, AdminProcessTests.Value(metrics, "fastrelay_tls_handshake_duration_seconds_count{service=\"echo\"}"));
        Assert.Equal(1, AdminProcessTests.Value(metrics, "fastrelay_connections_closed_total{reason=\"ClientCertRejected\"}"));
        Assert.Contains("fastrelay_tls_certificate_expiry_seconds{certificate=\"server: CN=edge.test\"}", metrics, StringComparison.Ordinal);
        using (var status = System.Text.Json.JsonDocument.Parse((await AdminProcessTests.GetAsync(admin, "/status")).Body))
        {
            var certificates = status.RootElement.GetProperty("certificates").EnumerateArray().ToList();
            Assert.Contains(certificates, c => c.GetProperty("name").GetString() == "server" && c.GetProperty("subject").GetString() == "CN=edge.test");
            Assert.Contains(certificates, c => c.GetProperty("name").GetString() == "client-ca");
        }

        // SIGHUP reloads the TLS files (a renewed certificate is served to new clients).
        var renewed = _pki.IssueServer("edge-renewed.test");
        _pki.Write("server.pem", renewed, _pki.Intermediate);
        _pki.WriteKey("server.key", renewed);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("TLS files reloaded", StringComparison.Ordinal)), relay.StandardOutput);
        relay.Signal("HUP");
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("TLS files reloaded (SIGHUP)", StringComparison.Ordinal)), relay.StandardOutput);
        await using (var after = await TlsTestClient.ConnectAsync(listen, _pki, _pki.Client))
        {
            Assert.Contains("edge-renewed.test", after.RemoteCertificate!.Subject, StringComparison.Ordinal);
        }

        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task OpenSslClient_Interop_ValidAndWithoutCertificate()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", _pki.ServerKeyFile, "--client-ca", _pki.CaFile, "--ocsp-staple", "off", "--log-level", "debug");
        await relay.WaitUntilListeningAsync(listen);

        foreach (var version in new[] { "-tls1_3", "-tls1_2" })
        {
            var (code, output) = await OpenSslAsync(version, "-connect", listen.ToString(), "-servername", "edge.test", "-CAfile", _pki.ServerRootFile,
                "-verify_return_error", "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile, "-quiet");
            Assert.True(code == 0, output);
            Assert.Contains("ping from openssl", output, StringComparison.Ordinal); // Echoed through the relay.
        }

        // Both read their records through OpenSSL itself (docs/data-path.md, "TLS"): no event 406 once both are closed.
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.AsSpan().Count("closed: Completed".AsSpan()) >= 2), relay.StandardOutput);
        Assert.DoesNotContain("TLS records read through SslStream", relay.StandardOutput, StringComparison.Ordinal);

        // No certificate: OpenSSL sees the connection end; our log names the reason.
        _ = await OpenSslAsync("-tls1_3", "-connect", listen.ToString(), "-servername", "edge.test", "-CAfile", _pki.ServerRootFile, "-quiet");
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("the client sent no certificate", StringComparison.Ordinal)), relay.StandardOutput);

        // TLS 1.1 is refused in the handshake.
        var (oldCode, _) = await OpenSslAsync("-tls1_1", "-connect", listen.ToString(), "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile, "-quiet");
        Assert.NotEqual(0, oldCode);
    }

    [Fact]
    public async Task SharedTlsContext_RefusesCbcSuites_IssuesNoTickets_LogsIt()
    {
        // One native context serves every handshake (bench/README.md, "Memory per idle connection"); it must keep
        // the suite list and the full-handshake-per-connection rule that the per-connection policy had.
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var relay = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
            "--tls-cert", _pki.ServerCertFile, "--tls-key", _pki.ServerKeyFile, "--client-ca", _pki.CaFile, "--ocsp-staple", "off", "--log-level", "debug");
        await relay.WaitUntilListeningAsync(listen);
        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("shared TLS context", StringComparison.Ordinal)), relay.StandardOutput);

        string[] client = ["-connect", listen.ToString(), "-servername", "edge.test", "-CAfile", _pki.ServerRootFile, "-cert", _pki.ClientCertFile, "-key", _pki.ClientKeyFile];

        // TLS 1.2 with only CBC suites on offer: no shared cipher, refused in the handshake.
        foreach (var cbc in new[] { "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA" })
        {
            var (code, output) = await OpenSslAsync([.. client, "-tls1_2", "-cipher", cbc]);
            Assert.True(code != 0, $"{cbc} was accepted:\n{output}");
            Assert.Contains("handshake failure", output, StringComparison.Ordinal); // The server's alert, not a local error.
        }

        Assert.True(await TestTimeouts.EventuallyAsync(() => relay.StandardOutput.Contains("no shared cipher", StringComparison.Ordinal)), relay.StandardOutput);

        // The AEAD suites of TLS 1.2 work, ChaCha20 included.
        var (gcmCode, gcmOutput) = await OpenSslAsync([.. client, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-quiet"]);
        Assert.True(gcmCode == 0, gcmOutput);
        Assert.Contains("ping from openssl", gcmOutput, StringComparison.Ordinal);

        // No session tickets in TLS 1.3 or 1.2, so no client can resume past the certificate and revocation checks.
        foreach (var version in new[] { "-tls1_3", "-tls1_2" })
        {
            var (code, output) = await OpenSslAsync([.. client, version]);
            Assert.True(code == 0, output);
            Assert.Contains("ping from openssl", output, StringComparison.Ordinal);
            Assert.DoesNotContain("TLS session ticket", output, StringComparison.Ordinal);
        }

        // A client that keeps its session and offers it again gets a full handshake (s_client writes no file at all
        // when the server gave it nothing resumable: no session ID, no ticket).
        var session = Path.Combine(Path.GetTempPath(), $"fastrelay-session-{Guid.NewGuid():N}.pem");
        try
        {
            foreach (var version in new[] { "-tls1_2", "-tls1_3" })
            {
                File.Delete(session);
                var (firstCode, firstOutput) = await OpenSslAsync([.. client, version, "-sess_out", session]);
                Assert.True(firstCode == 0, firstOutput);
                if (File.Exists(session))
                {
                    var (againCode, againOutput) = await OpenSslAsync([.. client, version, "-sess_in", session]);
                    Assert.True(againCode == 0, againOutput);
                    Assert.Contains("New, TLSv1.", againOutput, StringComparison.Ordinal);
                    Assert.DoesNotContain("Reused", againOutput, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            File.Delete(session);
        }
    }

    private static async Task<(int Code, string Output)> OpenSslAsync(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("s_client");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("-no_ign_eof"); // After -quiet, which implies -ign_eof: without this, EOF on stdin would not end it.

        var output = new StringBuilder();
        using var process = new System.Diagnostics.Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.StandardInput.WriteLineAsync("ping from openssl");

            // EOF on stdin makes s_client send close_notify and exit: only once the echo is back (or s_client is
            // gone), so a loaded machine cannot cut the echo off.
            _ = await TestTimeouts.EventuallyAsync(() => process.HasExited || Text().Contains("ping from openssl", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            process.StandardInput.Close();
        }
        catch (IOException) when (process.WaitForExit(TestTimeouts.Default))
        {
            // Broken pipe: s_client already ended (a refused handshake can finish before the line is written); its exit
            // code and output are the answer. Closing stdin once more, ignoring the same error, lets Dispose be quiet.
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }

        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        return (process.ExitCode, Text());

        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    [Fact]
    public async Task Reload_BadKeyAtTheSamePath_AndANewPolicyPath_RoutesStillSwap()
    {
        // A key half-way through a rotation is the TLS step's business (it keeps the running one); the config step checks
        // only the file whose path changed (the policy), so the new route target still goes in.
        await using var echo1 = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var echo2 = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var cert = Path.Combine(_pki.Directory, "rotating.pem");
        var key = Path.Combine(_pki.Directory, "rotating.key");
        File.Copy(_pki.ServerCertFile, cert);
        File.Copy(_pki.ServerKeyFile, key);
        var policy = Path.Combine(_pki.Directory, "all.json");
        await File.WriteAllTextAsync(policy, """
            {"SecurityGroups": [{"Name": "All", "Rules": [{"Direction": "Inbound", "SourceIP": "0.0.0.0/0", "Action": "Allow"},
              {"Direction": "Outbound", "DestinationIP": "0.0.0.0/0", "Action": "Allow"}]}]}
            """);
        var config = Path.Combine(_pki.Directory, "edge.json");
        var listen = FastRelayProcess.FreeEndPoint();
        string Config(IPEndPoint target, string extra) =>
            $$"""{"listen": ["echo@{{listen}}"], "route": ["echo={{target}}"], "tls-cert": "{{cert}}", "tls-key": "{{key}}", "ocsp-staple": "off"{{extra}}}""";
        await File.WriteAllTextAsync(config, Config(echo1.EndPoint, ""));
        using var relay = FastRelayProcess.Start("edge", "--config", config);
        var admin = await relay.AdminActionsEndPointAsync();

        await File.WriteAllTextAsync(key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
        await File.WriteAllTextAsync(config, Config(echo2.EndPoint, $", \"policy\": \"{policy}\""));
        using var http = new HttpClient();
        using var reload = await http.PostAsync(new Uri($"http://{admin}/reload"), null);
        var answer = await reload.Content.ReadAsStringAsync();

        Assert.Contains("policy changed and take effect on a restart", answer, StringComparison.Ordinal);
        Assert.Contains("certificates: refused", answer, StringComparison.Ordinal); // The TLS step, on its own.
        Assert.DoesNotContain("nothing changes", answer, StringComparison.Ordinal);
        Assert.Contains(echo2.EndPoint.ToString(), await http.GetStringAsync($"http://{admin}/status"), StringComparison.Ordinal);
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    [Fact]
    public async Task Reload_ANewClientCaThatDoesNotIssueTheCrls_FailsTheConfigStep_AsAStartWould()
    {
        // The CRL's path did not change, but a start checks each CRL's issuer against the bundle: so does the reload.
        await using var first = TestPki.Create();
        await using var second = TestPki.Create();
        first.IssueServer("edge.test");
        var (cert, key) = first.Ca.Files.Issued("edge.test");
        var crl = Path.Combine(first.Directory, "first.crl");
        await File.WriteAllBytesAsync(crl, first.Ca.BuildCrl(TimeSpan.FromDays(7)));
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        var config = Path.Combine(first.Directory, "edge.json");
        string Config(string ca) =>
            $$"""{"listen": ["echo@{{listen}}"], "route": ["echo={{echo.EndPoint}}"], "tls-cert": "{{cert}}", "tls-key": "{{key}}", "client-ca": "{{ca}}", "crl": ["{{crl}}"], "ocsp-staple": "off", "revocation": "soft-fail"}""";
        await File.WriteAllTextAsync(config, Config(first.Ca.Files.Certificate));
        using var relay = FastRelayProcess.Start("edge", "--config", config);
        var admin = await relay.AdminActionsEndPointAsync();

        await File.WriteAllTextAsync(config, Config(second.Ca.Files.Certificate));
        using var http = new HttpClient();
        using var reload = await http.PostAsync(new Uri($"http://{admin}/reload"), null);
        var answer = await reload.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
        Assert.Contains("nothing changes", answer, StringComparison.Ordinal);
        Assert.True(answer.Contains($"--crl {crl}: signature does not verify", StringComparison.Ordinal), answer); // Both test CAs are named CN=Test CA.
        relay.Signal("TERM");
        Assert.Equal(0, await relay.WaitForExitAsync());
    }

    public void Dispose() => _pki.Dispose();
}
