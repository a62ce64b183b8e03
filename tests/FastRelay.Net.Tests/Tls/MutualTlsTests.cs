using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Security.Authentication;
using System.Text;
using FastRelay.Backends;
using FastRelay.Diagnostics;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// Real handshakes on loopback against <c>--client-ca</c>: who gets through, who is refused, and that the
/// refusal is visible on our side (close reason, Handshake event with the exact reason) even where TLS 1.3
/// lets the client's own handshake call succeed.
/// </summary>
public sealed class MutualTlsTests : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki;

    public MutualTlsTests(PkiFixture fixture) => _pki = fixture.Pki;

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task ValidClient_Echoes_AndHandshakeEventCarriesIdentity(SslProtocols protocol)
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), observer: observer))
        {
            await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client, protocols: protocol);
            Assert.Equal(protocol, tls.SslProtocol);
            await tls.WriteAsync(Encoding.ASCII.GetBytes("hello"));
            var buffer = new byte[5];
            await tls.ReadExactlyAsync(buffer).AsTask().WithTimeout();
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer));
            await tls.HalfCloseAsync();
            Assert.Empty(await tls.ReadToEndAsync());
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.Completed] == 1));
        }

        var handshake = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake);
        Assert.True(handshake.Allowed);
        Assert.Equal("desk-7", handshake.Identity!.CommonName);
        Assert.Contains("desk-7.corp", handshake.Identity.DnsNames.ToArray());
        Assert.Contains("spiffe://corp/desk/7", handshake.Identity.Uris.ToArray());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_pki.Client.RawData)), handshake.CertificateSha256);
        Assert.True(handshake.Elapsed > TimeSpan.Zero);
        var close = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Close);
        Assert.Equal("desk-7", close.Identity!.CommonName);
    }

    public static TheoryData<string, string> RejectedClients => new()
    {
        { "none", "sent no certificate" },
        { "expired", "expired on" },
        { "wrong-ca", "does not chain to a CA in --client-ca" },
        { "wrong-eku", "does not include clientAuth" },
        { "bad-signature-value", "signature" },
        { "bad-signature-encoding", "signature" },
    };

    // The client certificate with its CA's signature broken: its value (the last byte), or its DER encoding (the
    // ECDSA-Sig-Value's SEQUENCE tag), which OpenSSL reports as an ASN.1 error rather than a failed verification.
    private System.Security.Cryptography.X509Certificates.X509Certificate2 WithBrokenSignature(bool encoding)
    {
        var der = _pki.Client.RawData.ToArray();
        if (!encoding)
        {
            der[^1] ^= 0x01;
        }
        else
        {
            var at = Enumerable.Range(0, der.Length - 4).Last(i => der[i] == 0x03 && der[i + 2] == 0x00 && der[i + 3] == 0x30 && i + 2 + der[i + 1] == der.Length);
            der[at + 3] = 0x31;
        }

        using var copy = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
        return copy.CopyWithPrivateKey(_pki.Client.GetECDsaPrivateKey()!);
    }

    [Theory]
    [MemberData(nameof(RejectedClients))]
    public async Task RejectedClient_IsClosed_WithReasonOnOurSide(string which, string expectedDetail)
    {
        var certificate = which switch
        {
            "expired" => _pki.ExpiredClient,
            "wrong-ca" => _pki.WrongCaClient,
            "wrong-eku" => _pki.WrongEkuClient,
            "bad-signature-value" => WithBrokenSignature(encoding: false),
            "bad-signature-encoding" => WithBrokenSignature(encoding: true),
            _ => null,
        };
        var observer = new RecordingObserver();
        using var backend = new ManualBackend();
        await using (var edge = TestEdge.StartTls(_pki, backend.Target, observer: observer))
        {
            await AssertRefusedAsync(edge, _pki, certificate);
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.ClientCertRejected] == 1));
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake);
        Assert.False(refused.Allowed);
        Assert.Equal(CloseReason.ClientCertRejected, refused.Reason);
        Assert.Contains(expectedDetail, refused.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(observer.Events, e => e.Checkpoint is Checkpoint.Outbound or Checkpoint.Close);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BrokenSignature_SentWithOurCa_IsRejectedAsTheCertificate_NotAsAHandshakeError(bool encoding)
    {
        // With our CA in the chain it sends (as openssl s_client -cert_chain or -CAfile do), OpenSSL's own pass over the
        // chain inside the handshake met the signature it could not decode and failed the handshake ("asn1 encoding
        // routines::EVP lib", no certificate named); .NET's chain, which decides, was never built.
        // s_client, not SslStream: .NET leaves a self-signed root out of the chain it sends.
        var observer = new RecordingObserver();
        using var backend = new ManualBackend();
        using var broken = WithBrokenSignature(encoding);
        var folder = Directory.CreateTempSubdirectory("fastrelay-badsig-").FullName;
        try
        {
            var certificate = Path.Combine(folder, "client.pem");
            var key = Path.Combine(folder, "client.key");
            var ca = Path.Combine(folder, "ca.pem");
            await File.WriteAllTextAsync(certificate, broken.ExportCertificatePem());
            await File.WriteAllTextAsync(key, _pki.Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(ca, _pki.Ca.ExportCertificatePem());
            await using var edge = TestEdge.StartTls(_pki, backend.Target, observer: observer);
            await using (var client = new OpenSslClient("-connect", edge.EndPoint.ToString(), "-servername", "edge.test", "-cert", certificate, "-key", key, "-cert_chain", ca, "-quiet"))
            {
                await client.SendLineAsync("hi");
                Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed.Total == 1), client.Output);
            }

            Assert.True(edge.Server.Closed[CloseReason.ClientCertRejected] == 1, string.Join("; ", observer.Events.Select(e => $"{e.Reason}: {e.Detail}")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake);
        Assert.Equal(CloseReason.ClientCertRejected, refused.Reason);
        Assert.Contains("signature", refused.Detail, StringComparison.Ordinal);
        Assert.Equal("desk-7", refused.Identity!.CommonName); // The certificate it presented is named.
    }

    [Fact]
    public async Task AllowList_AdmitsMatchingCn_RefusesOthers()
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var other = _pki.IssueClient("kiosk-1");
        var byUri = _pki.IssueClient("anything", uri: "spiffe://corp/ops/1");
        await using (var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), observer: observer, flags: [("allow-cn", "desk-*"), ("allow-san", "URI:spiffe://corp/ops/*")]))
        {
            await AssertEchoesAsync(edge, _pki, _pki.Client);
            await AssertEchoesAsync(edge, _pki, byUri);
            await AssertRefusedAsync(edge, _pki, other);
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.ClientCertRejected] == 1));
        }

        var refused = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake && !e.Allowed);
        Assert.Contains("'CN=kiosk-1", refused.Detail, StringComparison.Ordinal);
        Assert.Contains("is not allowed by --allow-cn desk-*, --allow-san URI:spiffe://corp/ops/*", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyIdentityRule_DecidesAfterHandshake()
    {
        // Inbound allows anyone from loopback only with CN desk-*; backends are allowed outbound.
        const string policy = """
            {"SecurityGroups": [
              {"Name": "Desks", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.0/8", "Identity": "CN=desk-*", "Action": "Allow"}]},
              {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
            ]}
            """;
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), policyJson: policy, observer: observer))
        {
            // At accept there is no identity yet, so the Inbound check (no identity) must not deny before TLS:
            // the identity rule is what admits desk-7 after the handshake.
            await AssertEchoesAsync(edge, _pki, _pki.Client);
            await AssertRefusedAsync(edge, _pki, _pki.IssueClient("kiosk-2"));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] >= 1));

            // Each connection's Inbound decision counts once, under the rule that made it: not the tentative match
            // before the handshake (Desks, taken to hold for kiosk-2 too) and again after it.
            var hits = edge.Server.Policy.Hits;
            Assert.Equal((1, 1, 1), (hits["Desks rule 0"], hits["default deny"], hits["Backends rule 0"]));
        }

        Assert.Contains(observer.Events, e => e.Checkpoint == Checkpoint.Handshake && !e.Allowed && e.Reason == CloseReason.FilterDenied && e.Identity!.CommonName == "kiosk-2");

        // The audit rows say the same: the inbound rows name no rule (it could not be known yet); desk-7's handshake row
        // names the rule that let it in.
        Assert.All(observer.Events.Where(e => e.Checkpoint == Checkpoint.Inbound), e => Assert.Null(e.Rule));
        var admitted = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Handshake && e.Allowed);
        Assert.Equal(("Desks", 0, "desk-7"), (admitted.Rule!.GroupName, admitted.Rule.RuleIndex, admitted.Identity!.CommonName));
    }

    [Fact]
    public async Task PolicyOutboundIdentityRule_DecidesTheDial()
    {
        // Anyone on loopback may connect; only CN desk-* may reach the backend (policy-format.md: every decision
        // sees the client certificate's identity, the Outbound one included).
        const string policy = """
            {"SecurityGroups": [
              {"Name": "Clients", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.0/8", "Action": "Allow"}]},
              {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Identity": "CN=desk-*", "Action": "Allow"}]}
            ]}
            """;
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using (var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), policyJson: policy, observer: observer))
        {
            await AssertEchoesAsync(edge, _pki, _pki.Client);
            await AssertRefusedAsync(edge, _pki, _pki.IssueClient("kiosk-3"));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
            Assert.Equal(2, edge.Server.Policy.Hits["Clients rule 0"]); // Two connections, one Inbound decision each.
        }

        // Clients has no Identity condition: decided at accept, named in the inbound rows, not again after the handshake.
        Assert.All(observer.Events.Where(e => e.Checkpoint == Checkpoint.Inbound), e => Assert.Equal("Clients", e.Rule!.GroupName));
        Assert.All(observer.Events.Where(e => e.Checkpoint == Checkpoint.Handshake), e => Assert.Null(e.Rule));
        var allowed = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound && e.Allowed);
        Assert.Equal(("Backends", "desk-7"), (allowed.Rule!.GroupName, allowed.Identity!.CommonName));
        var denied = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.Outbound && !e.Allowed);
        Assert.Null(denied.Rule); // The default deny: the identity rule did not match kiosk-3.
        Assert.Equal("kiosk-3", denied.Identity!.CommonName);
    }

    [Fact]
    public async Task AddressDeniedByPolicy_NeverCostsAHandshake()
    {
        const string policy = """
            {"SecurityGroups": [
              {"Name": "Blocked", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.2/32", "Action": "Deny", "Priority": 1}]},
              {"Name": "Desks", "Rules": [{"Protocol": "TCP", "SourceIP": "127.0.0.0/8", "Identity": "CN=desk-*", "Action": "Allow"}]},
              {"Name": "Backends", "Rules": [{"Protocol": "TCP", "DestinationIP": "127.0.0.1", "Action": "Allow"}]}
            ]}
            """;
        var observer = new RecordingObserver();
        using var backend = new ManualBackend();
        await using (var edge = TestEdge.StartTls(_pki, backend.Target, policyJson: policy, observer: observer))
        {
            using var blocked = await SocketTestExtensions.ConnectAsync(edge.EndPoint, IPAddress.Parse("127.0.0.2"));
            Assert.True(await blocked.IsClosedByPeerAsync(TimeSpan.FromSeconds(10)));
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.FilterDenied] == 1));
        }

        var denied = Assert.Single(observer.Events);
        Assert.Equal(Checkpoint.Inbound, denied.Checkpoint); // Decided at accept: no Handshake event, no handshake.
        Assert.Equal("Blocked", denied.Rule!.GroupName);
    }

    [Fact]
    public async Task RateKeyIdentity_BucketsPerCertificateIdentity_AfterTheHandshake()
    {
        var observer = new RecordingObserver();
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        var other = _pki.IssueClient("desk-8");
        await using (var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString(), observer: observer,
            flags: [("conn-rate", "1/h"), ("conn-burst", "1"), ("rate-key", "identity")]))
        {
            await AssertEchoesAsync(edge, _pki, _pki.Client);
            await AssertRefusedAsync(edge, _pki, _pki.Client); // Same identity: its one token is spent.
            await AssertEchoesAsync(edge, _pki, other); // Another identity has its own bucket.
            Assert.True(await TestTimeouts.EventuallyAsync(() => edge.Server.Closed[CloseReason.RateLimited] == 1));
        }

        var limited = Assert.Single(observer.Events, e => e.Checkpoint == Checkpoint.RateLimit);
        Assert.Equal("desk-7", limited.Identity!.CommonName);
        Assert.Equal(CloseReason.RateLimited, limited.Reason);
    }

    internal static async Task AssertEchoesAsync(TestEdge edge, TestCertificates pki, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, string? serverName = "edge.test")
    {
        await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, pki, certificate, serverName);
        await tls.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await tls.ReadExactlyAsync(buffer).AsTask().WithTimeout();
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    internal static async Task AssertRefusedAsync(TestEdge edge, TestCertificates pki, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, string? serverName = "edge.test")
    {
        try
        {
            // TLS 1.3: the client's handshake succeeds; the refusal shows on its first read.
            await using var tls = await TlsTestClient.ConnectAsync(edge.EndPoint, pki, certificate, serverName);
            await tls.WriteAsync("ping"u8.ToArray());
            Assert.True(await tls.IsClosedByServerAsync());
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            // TLS 1.2, or a refusal before the client finished: the handshake itself failed.
        }
    }
}
