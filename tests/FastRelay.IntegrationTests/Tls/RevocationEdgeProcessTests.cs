using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Tls;

/// <summary>
/// The README's small-site workflow end to end, with the real executables only: <c>fastrelay ca</c> makes
/// the CA, certificates, CRL and runs the OCSP responder; <c>fastrelay edge</c> serves mutual TLS with
/// <c>--crl</c> / OCSP checks and stapling; OpenSSL's <c>s_client</c> is the client. Guards that a revoked
/// client is refused through the edge (and why is logged), that a new CRL takes effect without a restart,
/// and that clients asking for OCSP status get a staple (auto and FILE).
/// </summary>
public sealed class RevocationEdgeProcessTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fastrelay-rev-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly IPEndPoint _responder = FastRelayProcess.FreeEndPoint();

    private string Dir => Path.Combine(_root, "ca");

    private string File(string name) => Path.Combine(Dir, name);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task CrlHardFail_RevokedClientRefused_NewCrlTakesEffectLive_StapleFromResponder()
    {
        var serials = await MakeSiteAsync();
        await Ca("revoke", "--dir", Dir, "--serial", serials["bob"]);
        var crl = Path.Combine(_root, "ca.crl");
        await Ca("crl", "--dir", Dir, "--out", crl);
        using var responder = FastRelayProcess.Start("ca", "ocsp", "--dir", Dir, "--listen", _responder.ToString());
        await responder.WaitUntilListeningAsync(_responder);

        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var listen = FastRelayProcess.FreeEndPoint();
        using var edge = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
            "--tls-cert", File("edge.pem"), "--tls-key", File("edge.key"), "--client-ca", File("ca.pem"),
            "--crl", crl, "--revocation", "hard-fail", "--log-level", "debug");
        await edge.WaitUntilListeningAsync(listen);

        Assert.Contains("ping from openssl", await ClientAsync(listen, "alice"), StringComparison.Ordinal);
        Assert.DoesNotContain("ping from openssl", await ClientAsync(listen, "bob"), StringComparison.Ordinal);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains($"(serial {serials["bob"]}) revoked since", StringComparison.Ordinal)), edge.StandardOutput);
        // The close line (with its reason) follows the rejection line once the connection is closed: waited for, not assumed.
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("ClientCertRejected", StringComparison.Ordinal)), edge.StandardOutput);

        // Revoke carol and publish: the running edge picks the new CRL up by itself.
        await Ca("revoke", "--dir", Dir, "--serial", serials["carol"]);
        await Ca("crl", "--dir", Dir, "--out", crl);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("reloaded (file changed): 2 revoked", StringComparison.Ordinal)), edge.StandardOutput);
        Assert.DoesNotContain("ping from openssl", await ClientAsync(listen, "carol"), StringComparison.Ordinal);
        Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains($"(serial {serials["carol"]}) revoked since", StringComparison.Ordinal)), edge.StandardOutput);

        // --ocsp-staple auto (the default): .NET fetched the edge certificate's status from 'ca ocsp'.
        string status = "";
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            status = OpenSsl.RunAsync("s_client", "-connect", listen.ToString(), "-status", "-servername", "localhost", "-CAfile", File("ca.pem"),
                "-cert", File("alice.pem"), "-key", File("alice.key")).Result.Output;
            return status.Contains("OCSP Response Status: successful", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10)), status);
        Assert.Contains("Cert Status: good", status, StringComparison.Ordinal);

        edge.Signal("TERM");
        Assert.Equal(0, await edge.WaitForExitAsync());
        responder.Signal("TERM");
        Assert.Equal(0, await responder.WaitForExitAsync());
    }

    [Fact]
    public async Task OcspFromAia_RevokedRefused_ResponderDownSoftFailAllows_StapleFile()
    {
        var serials = await MakeSiteAsync();
        await Ca("revoke", "--dir", Dir, "--serial", serials["bob"], "--reason", "keyCompromise");
        using (var responder = FastRelayProcess.Start("ca", "ocsp", "--dir", Dir, "--listen", _responder.ToString()))
        {
            await responder.WaitUntilListeningAsync(_responder);

            // The operator's staple file, fetched with OpenSSL from the responder.
            var staple = Path.Combine(_root, "edge.ocsp");
            var fetched = await OpenSsl.RunAsync("ocsp", "-issuer", File("ca.pem"), "-cert", File("edge.pem"), "-url", $"http://{_responder}", "-CAfile", File("ca.pem"), "-respout", staple);
            Assert.Contains("edge.pem: good", fetched.Output, StringComparison.Ordinal);

            await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
            var listen = FastRelayProcess.FreeEndPoint();
            using var edge = FastRelayProcess.Start("edge", "--listen", $"echo@{listen}", "--route", $"echo={echo.EndPoint}",
                "--tls-cert", File("edge.pem"), "--tls-key", File("edge.key"), "--client-ca", File("ca.pem"),
                "--ocsp-staple", staple, "--log-level", "debug");
            await edge.WaitUntilListeningAsync(listen);

            Assert.Contains("ping from openssl", await ClientAsync(listen, "alice"), StringComparison.Ordinal);
            Assert.DoesNotContain("ping from openssl", await ClientAsync(listen, "bob"), StringComparison.Ordinal);
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.StandardOutput.Contains("revoked per OCSP", StringComparison.Ordinal)), edge.StandardOutput);

            var status = (await OpenSsl.RunAsync("s_client", "-connect", listen.ToString(), "-status", "-servername", "localhost", "-CAfile", File("ca.pem"),
                "-cert", File("alice.pem"), "-key", File("alice.key"))).Output;
            Assert.Contains("OCSP Response Status: successful", status, StringComparison.Ordinal);

            // The responder goes away: carol's status cannot be learned, and soft-fail (the default) lets her in.
            responder.Signal("TERM");
            Assert.Equal(0, await responder.WaitForExitAsync());
            Assert.Contains("ping from openssl", await ClientAsync(listen, "carol"), StringComparison.Ordinal);

            edge.Signal("TERM");
            Assert.Equal(0, await edge.WaitForExitAsync());
        }
    }

    /// <summary>CA with the OCSP URL of <see cref="_responder"/>; edge (server), alice, bob, carol (clients). Returns the serials.</summary>
    private async Task<Dictionary<string, string>> MakeSiteAsync()
    {
        await Ca("init", "--dir", Dir, "--ocsp-url", $"http://{_responder}");
        var serials = new Dictionary<string, string>
        {
            ["edge"] = (await Ca("issue", "--dir", Dir, "--name", "edge", "--server", "--dns", "localhost", "--ip", "127.0.0.1")).Trim(),
        };
        foreach (var name in new[] { "alice", "bob", "carol" })
        {
            serials[name] = (await Ca("issue", "--dir", Dir, "--name", name, "--client")).Trim();
        }

        return serials;
    }

    private Task<string> ClientAsync(IPEndPoint listen, string name) =>
        OpenSsl.RunWithInputAsync("ping from openssl", "s_client", "-connect", listen.ToString(), "-servername", "localhost", "-CAfile", File("ca.pem"),
            "-cert", File(name + ".pem"), "-key", File(name + ".key"), "-quiet", "-no_ign_eof").ContinueWith(t => t.Result.Output, TaskScheduler.Default);

    private static async Task<string> Ca(params string[] args)
    {
        using var process = await FastRelayProcess.RunAsync(["ca", .. args]);
        var exit = await process.WaitForExitAsync();
        Assert.True(exit == 0, $"fastrelay ca {string.Join(' ', args)} exited {exit}: {process.StandardError}");
        return process.StandardOutput;
    }
}
