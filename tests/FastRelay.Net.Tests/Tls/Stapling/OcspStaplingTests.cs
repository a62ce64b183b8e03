using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Pki;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Stapling;

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

        var output = await StapledStatusOf(tls.Address, pki.Ca.Files.Certificate);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Equal(1, pki.Responder!.Requests);
    }

    [Fact]
    public async Task Auto_LeafOnlyCertificateFile_IssuerFromTheClientCaBundle_Staples()
    {
        // 'fastrelay ca issue' writes the leaf alone; .NET needs the issuer to ask the responder, and a private CA is in no
        // system store. The loader takes it from --client-ca; without it, the certificate's log line says so.
        await using var pki = TestPki.Create(ocsp: true);
        pki.IssueServer("web1");
        var (certificate, key) = pki.Ca.Files.Issued("web1");
        var options = new FastRelay.Configuration.TlsOptions { CertificateFile = certificate, KeyFile = key, OcspStaple = FastRelay.Configuration.OcspStapling.Auto };
        var errors = new List<string>();
        var files = ServerCertificateLoader.ReadFiles(options, errors)!;
        Assert.Single(files.Certificates);

        var alone = ServerCertificateLoader.TryLoad(files, options, null, DateTimeOffset.UtcNow, errors)!;
        var withCa = ServerCertificateLoader.TryLoad(files, options, null, DateTimeOffset.UtcNow, errors, [pki.CaCertificate])!;

        Assert.Empty(errors);
        Assert.Contains("is in neither --tls-cert nor --client-ca", alone.ContextNote, StringComparison.Ordinal);
        Assert.Contains("from --client-ca asks the responder", withCa.ContextNote, StringComparison.Ordinal);
        Assert.Equal(0, withCa.IntermediateCount); // What --tls-cert held; the self-signed CA is not sent either.
        await using var tls = new TlsStapleServer(withCa.Context);
        var output = await StapledStatusOf(tls.Address, pki.Ca.Files.Certificate);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Contains(" 0 s:", output, StringComparison.Ordinal); // s_client's "Certificate chain": the leaf alone was sent.
        Assert.DoesNotContain(" 1 s:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_CertificateWithoutAia_StapledAndVerifiedByOpenSsl()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var staple = Path.Combine(pki.Directory, "web1.ocsp");
        await File.WriteAllBytesAsync(staple, await ResponseFor(pki, "web1"));

        // offline: true alone forbids stapling; the file turns it back on with our bytes (as ServerCertificateLoader does).
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);
        Assert.Null(Attach(context, await File.ReadAllBytesAsync(staple), pki.CaCertificate));
        await using var tls = new TlsStapleServer(context);

        var output = await StatusOf(tls.Address, pki.Ca.Files.Certificate);
        Assert.Contains("OCSP Response Status: successful", output, StringComparison.Ordinal);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attached_PastNextUpdate_RuntimeStopsStapling_HandshakesStillWork()
    {
        // Without any timer of ours: once the attached response's nextUpdate passes, the runtime itself
        // sends no staple (its refetch has no URL to go to) and the handshake is unaffected.
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        var request = Path.Combine(pki.Directory, "web1.ocsp-req");
        await OpenSsl.RunAsync("ocsp", "-issuer", pki.Ca.Files.Certificate, "-cert", pki.Ca.Files.Issued("web1").Certificate, "-no_nonce", "-reqout", request);
        var der = new OcspResponseBuilder(pki.Ca, TimeSpan.FromSeconds(5), TimeProvider.System).Respond(await File.ReadAllBytesAsync(request), out _);
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true); // 5 s: the first s_client run must fit in it.
        Assert.True(OcspStapleValidator.TryValidate(der, server, pki.CaCertificate, DateTimeOffset.UtcNow, out var valid, out var nextUpdate, out var error), error);
        Assert.True(StapledResponse.TryAttach(context, valid, nextUpdate, out error), error);
        await using var tls = new TlsStapleServer(context);
        Assert.Contains("Cert Status: good", await StatusOf(tls.Address, pki.Ca.Files.Certificate), StringComparison.Ordinal);

        await Task.Delay(nextUpdate - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(500));
        var after = await StatusOf(tls.Address, pki.Ca.Files.Certificate);
        Assert.Contains("OCSP response: no response sent", after, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_Unfit_RefusedSayingWhy()
    {
        await using var pki = TestPki.Create();
        var (server, _) = pki.IssueServer("web1");
        pki.IssueServer("web2");
        var context = SslStreamCertificateContext.Create(server, [pki.CaCertificate], offline: true);

        Assert.Contains("has no answer for this certificate", Attach(context, await ResponseFor(pki, "web2"), pki.CaCertificate), StringComparison.Ordinal);
        Assert.Contains("has no answer for this certificate", Attach(context, await ResponseFor(pki, "web2"), null), StringComparison.Ordinal); // Serial check without the issuer.

        var tampered = await ResponseFor(pki, "web1");
        tampered[^1] ^= 0x01; // The last byte of the signature: still parses, no longer verifies.
        Assert.Contains("is not signed by the issuer", Attach(context, tampered, pki.CaCertificate), StringComparison.Ordinal);

        var web1Serial = pki.Ca.ReadIndex().Single(e => e.Name == "web1").Serial;
        pki.Ca.Revoke(web1Serial, X509RevocationReason.KeyCompromise, out _);
        Assert.Contains("REVOKED", Attach(context, await ResponseFor(pki, "web1"), pki.CaCertificate), StringComparison.Ordinal);

        Assert.Contains("not an OCSP response", Attach(context, "not der"u8.ToArray(), null), StringComparison.Ordinal);
    }

    /// <summary>Validates and attaches like ServerCertificateLoader; returns the error, or null when stapled.</summary>
    private static string? Attach(SslStreamCertificateContext context, byte[] bytes, X509Certificate2? issuer) =>
        OcspStapleValidator.TryValidate(bytes, context.TargetCertificate, issuer, DateTimeOffset.UtcNow, out var der, out var nextUpdate, out var error)
        && StapledResponse.TryAttach(context, der, nextUpdate, out error) ? null : error;

    /// <summary>The CA's OCSP answer for DIR/NAME.pem, as <c>openssl ocsp -respout</c> would save it.</summary>
    private static async Task<byte[]> ResponseFor(TestPki pki, string name)
    {
        var request = Path.Combine(pki.Directory, name + ".ocsp-req");
        var (exit, output) = await OpenSsl.RunAsync("ocsp", "-issuer", pki.Ca.Files.Certificate, "-cert", pki.Ca.Files.Issued(name).Certificate, "-no_nonce", "-reqout", request);
        Assert.True(exit == 0, output);
        return new OcspResponseBuilder(pki.Ca, TimeSpan.FromHours(1), TimeProvider.System).Respond(await File.ReadAllBytesAsync(request), out _);
    }

    /// <summary>
    /// s_client's view once a staple comes: .NET fetches it in the background from the context's creation on, so the
    /// first handshakes may go without one. Fails the test when none comes within 10 s.
    /// </summary>
    private static async Task<string> StapledStatusOf(string address, string caFile)
    {
        var output = "";
        Assert.True(await TestTimeouts.EventuallyAsync(() =>
        {
            output = StatusOf(address, caFile).Result;
            return output.Contains("OCSP Response Status: successful", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10)), output);
        return output;
    }

    private static async Task<string> StatusOf(string address, string caFile) =>
        (await OpenSsl.RunAsync("s_client", "-connect", address, "-status", "-CAfile", caFile, "-servername", "localhost")).Output;
}
