using System.Security.Cryptography.X509Certificates;
using FastRelay.Pki;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Pki;

/// <summary>
/// <c>fastrelay ca</c>'s certificates and CRLs as OpenSSL sees them: the acceptance bar is that the tool
/// operators already trust agrees with ours (EKU, SAN, AIA, CRL checks).
/// </summary>
public sealed class CertificateAuthorityTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Init_WritesCaCertificateAndKey_KeysMode0600()
    {
        await using var pki = TestPki.Create();
        var (_, _) = pki.IssueServer("web1");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pki.Ca.Files.Key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pki.Ca.Files.Issued("web1").Key));

        var (exit, text) = await OpenSsl.RunAsync("x509", "-in", pki.Ca.Files.Certificate, "-noout", "-text");
        Assert.Equal(0, exit);
        Assert.Contains("CA:TRUE", text, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign, CRL Sign", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_Server_OpenSslShowsServerAuthSansAiaAndCdp()
    {
        var directory = Path.Combine(Path.GetTempPath(), "fastrelay-pki-" + Guid.NewGuid().ToString("N"));
        using (var ca = CertificateAuthority.Init(directory, "Site CA", CaKeyType.Ecdsa, 30,
            new CaSettings { OcspUrl = "http://127.0.0.1:8080", CrlUrl = "http://127.0.0.1:8080/ca.crl" }, TimeProvider.System))
        {
            ca.Issue(new IssueRequest("web1", CertificateRole.Server, ["web1.example.com", "*.svc.example.com"], [System.Net.IPAddress.Parse("10.0.0.5")], [], 30, null));
            ca.Issue(new IssueRequest("alice", CertificateRole.Client, [], [], [new Uri("spiffe://corp/alice")], 30, CaKeyType.Rsa));

            var (exit, server) = await OpenSsl.RunAsync("x509", "-in", ca.Files.Issued("web1").Certificate, "-noout", "-text");
            Assert.Equal(0, exit);
            Assert.Contains("TLS Web Server Authentication", server, StringComparison.Ordinal);
            Assert.Contains("DNS:web1.example.com, DNS:*.svc.example.com, IP Address:10.0.0.5", server, StringComparison.Ordinal);
            Assert.Contains("OCSP - URI:http://127.0.0.1:8080", server, StringComparison.Ordinal);
            Assert.Contains("URI:http://127.0.0.1:8080/ca.crl", server, StringComparison.Ordinal);
            Assert.Contains("CA:FALSE", server, StringComparison.Ordinal);

            var (_, client) = await OpenSsl.RunAsync("x509", "-in", ca.Files.Issued("alice").Certificate, "-noout", "-text");
            Assert.Contains("TLS Web Client Authentication", client, StringComparison.Ordinal);
            Assert.Contains("URI:spiffe://corp/alice", client, StringComparison.Ordinal);
            Assert.Contains("Public-Key: (3072 bit)", client, StringComparison.Ordinal);

            var (verify, output) = await OpenSsl.RunAsync("verify", "-CAfile", ca.Files.Certificate, "-purpose", "sslclient", ca.Files.Issued("alice").Certificate);
            Assert.True(verify == 0, output);
        }

        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Crl_AfterRevoke_OpenSslVerifyCrlCheckRefusesRevokedAcceptsOthers()
    {
        await using var pki = TestPki.Create();
        var (_, goodSerial) = pki.IssueClient("good");
        var (_, badSerial) = pki.IssueClient("bad");
        Assert.True(pki.Ca.Revoke(badSerial, X509RevocationReason.KeyCompromise, out _));
        Assert.False(pki.Ca.Revoke(badSerial, X509RevocationReason.Superseded, out var again)); // Idempotent: first reason stays.
        Assert.Equal(X509RevocationReason.KeyCompromise, again.Reason);
        var crl = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crl);

        var good = await OpenSsl.RunAsync("verify", "-crl_check", "-CAfile", pki.Ca.Files.Certificate, "-CRLfile", crl, pki.Ca.Files.Issued("good").Certificate);
        var bad = await OpenSsl.RunAsync("verify", "-crl_check", "-CAfile", pki.Ca.Files.Certificate, "-CRLfile", crl, pki.Ca.Files.Issued("bad").Certificate);
        Assert.True(good.ExitCode == 0, good.Output);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("certificate revoked", bad.Output, StringComparison.Ordinal);

        var (_, text) = await OpenSsl.RunAsync("crl", "-in", crl, "-noout", "-text");
        Assert.Contains("Next Update:", text, StringComparison.Ordinal);
        Assert.Contains("Key Compromise", text, StringComparison.Ordinal);
        Assert.Contains(badSerial, text, StringComparison.Ordinal);
        Assert.DoesNotContain(goodSerial, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_UnknownSerial_ThrowsNamingIt()
    {
        await using var pki = TestPki.Create();
        var ex = Assert.Throws<PkiException>(() => pki.Ca.Revoke("ABCDEF", X509RevocationReason.Unspecified, out _));
        Assert.Contains("--serial ABCDEF: no certificate with this serial", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NoCaInDirectory_ThrowsNamingDirectory()
    {
        var ex = Assert.Throws<PkiException>(() => CertificateAuthority.Open(Path.GetTempPath(), TimeProvider.System));
        Assert.Contains("no CA here (ca.pem is missing)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ca.pem")]
    [InlineData("ca.key")]
    [InlineData("ca.json")]
    [InlineData("index.txt")]
    [InlineData("crlnumber")]
    public async Task AFileOfTheCa_ReplacedByAnEndlessOne_IsRefusedNamingIt_NotReadIntoMemory(string name)
    {
        // These were read with File.ReadAllBytes / ReadLines: /dev/zero in their place ended in OutOfMemoryException.
        await using var pki = TestPki.Create();
        var path = Path.Combine(pki.Directory, name);
        File.Delete(path);
        File.CreateSymbolicLink(path, "/dev/zero");

        var ex = Assert.Throws<PkiException>(() =>
        {
            using var ca = CertificateAuthority.Open(pki.Directory, TimeProvider.System);
            ca.ReadIndex();
            ca.BuildCrl(TimeSpan.FromDays(1));
        });

        Assert.StartsWith($"{path}: too large for a", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CaFilesSavedWithAByteOrderMark_AreRead()
    {
        // A Windows editor writes one; File.ReadLines dropped it, and so must the bounded reader.
        await using var pki = TestPki.Create();
        pki.IssueClient("alice");
        foreach (var name in new[] { "index.txt", "crlnumber" })
        {
            var path = Path.Combine(pki.Directory, name);
            var text = File.Exists(path) ? await File.ReadAllTextAsync(path) : "7\n";
            await File.WriteAllTextAsync(path, text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        }

        using var ca = CertificateAuthority.Open(pki.Directory, TimeProvider.System);
        Assert.Equal("alice", Assert.Single(ca.ReadIndex()).Name);
        Assert.NotEmpty(ca.BuildCrl(TimeSpan.FromDays(1)));
    }

    [Fact]
    public async Task Issue_ExistingName_ThrowsAndKeepsTheOldFiles()
    {
        await using var pki = TestPki.Create();
        var (first, _) = pki.IssueClient("alice");
        var ex = Assert.Throws<PkiException>(() => pki.IssueClient("alice"));
        Assert.Contains("alice.pem: already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal(first.Thumbprint, pki.Load("alice").Thumbprint);
        Assert.Single(pki.Ca.ReadIndex());
    }

    [Theory]
    [InlineData("5F3A09", "5F3A09")]
    [InlineData("0x5f:3a:09", "5F3A09")]
    [InlineData("00C1", "00C1")]
    [InlineData("0001", "01")]
    [InlineData("abc", "0ABC")]
    public void SerialNumber_TryParse_Canonical(string text, string canonical)
    {
        Assert.True(SerialNumber.TryParse(text, out var parsed));
        Assert.Equal(canonical, parsed);
    }
}
