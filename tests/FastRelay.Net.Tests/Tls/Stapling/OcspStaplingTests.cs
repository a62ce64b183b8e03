using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Pki;
using FastRelay.TestKit;
using FastRelay.Tls.Revocation;
using FastRelay.Tls.Stapling;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Net.Tests.Tls.Stapling;

/// <summary>
/// Server-side OCSP stapling as a client sees it (<c>openssl s_client -status</c>): .NET's own fetch from
/// the AIA responder (<c>--ocsp-staple auto</c>), and a response file we attach (<c>--ocsp-staple FILE</c>),
/// including for a certificate with no AIA at all, where .NET alone never staples.
/// </summary>
public sealed class OcspStaplingTests
{
    [Fact]
    public async Task Auto_OfflineFalse_DotNetFetchesFromAiaAndStaples()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (server, _) = pki.IssueServer("web1");
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: false);
        await using var tls = new TlsStapleServer(context);

        // The fetch runs in the background from Create on: the first handshakes may come before it lands.
        string output = "";
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            output = StatusOf(tls.Address, pki.Ca.Files.Certificate).Result;
            return output.Contains("OCSP Response Status: successful", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10)), output);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Equal(1, pki.Responder!.Requests);
    }

    [Fact]
    public async Task File_CertificateWithoutAia_StapledAndVerifiedByOpenSsl()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var staple = Path.Combine(pki.Directory, "web1.ocsp");
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));

        // offline: true alone forbids stapling; the file turns it back on with our bytes.
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);
        using var file = new OcspStapleFile(staple, NullLogger.Instance, TimeProvider.System);
        file.Attach(context, pki.CaCertificate);
        await using var tls = new TlsStapleServer(context);

        var output = await StatusOf(tls.Address, pki.Ca.Files.Certificate);
        Assert.Contains("OCSP Response Status: successful", output, StringComparison.Ordinal);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_Changed_NewResponseStapled_BadFileKeepsIt()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var staple = Path.Combine(pki.Directory, "web1.ocsp");
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);
        using var file = new OcspStapleFile(staple, NullLogger.Instance, TimeProvider.System);
        file.Attach(context, pki.CaCertificate);
        var first = file.NextUpdate;

        await Task.Delay(1100); // A new response has a later thisUpdate/nextUpdate (whole seconds).
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));
        Assert.True(await TestTimeouts.EventuallyAsync(() => file.NextUpdate > first));

        var stapled = file.NextUpdate;
        await File.WriteAllTextAsync(staple, "garbage");
        Assert.False(file.Reload("test"));
        Assert.Equal(stapled, file.NextUpdate);
        await using var tls = new TlsStapleServer(context);
        Assert.Contains("Cert Status: good", await StatusOf(tls.Address, pki.Ca.Files.Certificate), StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_PastNextUpdate_StaplingStops()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var staple = Path.Combine(pki.Directory, "web1.ocsp");
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);
        using var file = new OcspStapleFile(staple, NullLogger.Instance, time);
        file.Attach(context, pki.CaCertificate);

        time.Advance(TimeSpan.FromHours(2)); // Responses are good for 1h.
        Assert.Null(file.NextUpdate);
        await using var tls = new TlsStapleServer(context);
        Assert.Contains("OCSP response: no response sent", await StatusOf(tls.Address, pki.Ca.Files.Certificate), StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_Unfit_AttachThrowsSayingWhy()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var (_, otherSerial) = pki.IssueServer("web2");
        var staple = Path.Combine(pki.Directory, "staple.ocsp");
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);
        using var file = new OcspStapleFile(staple, NullLogger.Instance, TimeProvider.System);

        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web2"));
        Assert.Contains("has no answer for this certificate", Assert.Throws<RevocationLoadException>(() => file.Attach(context, pki.CaCertificate)).Message, StringComparison.Ordinal);

        pki.Ca.Revoke(otherSerial, X509RevocationReason.KeyCompromise, out _);
        var web1Serial = pki.Ca.ReadIndex().Single(e => e.Name == "web1").Serial;
        pki.Ca.Revoke(web1Serial, X509RevocationReason.KeyCompromise, out _);
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));
        Assert.Contains("REVOKED", Assert.Throws<RevocationLoadException>(() => file.Attach(context, pki.CaCertificate)).Message, StringComparison.Ordinal);

        await File.WriteAllTextAsync(staple, "not der");
        Assert.Contains($"--ocsp-staple {staple}: not an OCSP response", Assert.Throws<RevocationLoadException>(() => file.Attach(context)).Message, StringComparison.Ordinal);
    }

    /// <summary>The CA's OCSP answer for DIR/NAME.pem, as <c>openssl ocsp -respout</c> would save it.</summary>
    private static async Task<byte[]> ResponseFor(TestPki pki, string name)
    {
        var request = Path.Combine(pki.Directory, name + ".ocsp-req");
        var (exit, output) = await OpenSsl.RunAsync("ocsp", "-issuer", pki.Ca.Files.Certificate, "-cert", pki.Ca.Files.Issued(name).Certificate, "-no_nonce", "-reqout", request);
        Assert.True(exit == 0, output);
        return new OcspResponseBuilder(pki.Ca, TimeSpan.FromHours(1), TimeProvider.System).Respond(await File.ReadAllBytesAsync(request), out _);
    }

    private static async Task<string> StatusOf(string address, string caFile) =>
        (await OpenSsl.RunAsync("s_client", "-connect", address, "-status", "-CAfile", caFile, "-servername", "localhost")).Output;
}
