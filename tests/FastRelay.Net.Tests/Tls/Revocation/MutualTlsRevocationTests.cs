using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Configuration;
using FastRelay.TestKit;
using FastRelay.Tls;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Net.Tests.Tls.Revocation;

/// <summary>
/// The checker where it will run: after a real mutual-TLS handshake on loopback, with the chain the server
/// built against the client CA bundle alone, before any byte is relayed (the IRevocationChecker contract).
/// A revoked client completes the TLS 1.3 handshake and then sees EOF; a good one gets the server's bytes.
/// The TLS edge wires the same call into its listener (see docs/revocation.md, "Wiring").
/// </summary>
public sealed class MutualTlsRevocationTests
{
    [Fact]
    public async Task RevokedClient_HandshakeThenEof_GoodClientServed_ByCrlAndByOcsp()
    {
        await using var pki = TestPki.Create(ocsp: true);
        var (server, _) = pki.IssueServer("edge");
        var (good, _) = pki.IssueClient("good");
        var (byCrl, crlSerial) = pki.IssueClient("revoked-crl");
        var (byOcsp, ocspSerial) = pki.IssueClient("revoked-ocsp");
        pki.Ca.Revoke(crlSerial, X509RevocationReason.KeyCompromise, out _);
        pki.Ca.Revoke(ocspSerial, X509RevocationReason.KeyCompromise, out _);
        var crlFile = Path.Combine(pki.Directory, "ca.crl");
        pki.WriteCrl(crlFile);

        var crlOptions = new RevocationOptions { Mode = RevocationMode.HardFail, CrlFiles = [crlFile], OcspTimeout = TimeSpan.Zero };
        var ocspOptions = new RevocationOptions { Mode = RevocationMode.HardFail, OcspTimeout = TimeSpan.FromSeconds(2) };
        using var withCrl = RevocationChecker.Create(crlOptions, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        using var withOcsp = RevocationChecker.Create(ocspOptions, pki.Bundle, NullLogger.Instance, TimeProvider.System)!;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        Assert.Equal(("OK", true), await RoundTripAsync(listener, server, pki.CaCertificate, withCrl, good));
        var (eof, crlVerdict) = await RoundTripAsync(listener, server, pki.CaCertificate, withCrl, byCrl);
        Assert.Equal(("", false), (eof, crlVerdict));
        Assert.Equal(0, pki.Responder!.Requests);

        Assert.Equal(("OK", true), await RoundTripAsync(listener, server, pki.CaCertificate, withOcsp, good));
        Assert.Equal(("", false), await RoundTripAsync(listener, server, pki.CaCertificate, withOcsp, byOcsp));
        Assert.Equal(2, pki.Responder.Requests);
    }

    private static async Task<(string Read, bool Allowed)> RoundTripAsync(TcpListener listener, X509Certificate2 server, X509Certificate2 ca, IRevocationChecker checker, X509Certificate2 client)
    {
        var verdicts = new List<RevocationVerdict>();
        var serving = ServeAsync(listener, server, ca, checker, verdicts, 1);
        var read = await ConnectAsync(listener, client, ca);
        await serving.WithTimeout();
        return (read, verdicts.Single().Allowed);
    }

    private static async Task ServeAsync(TcpListener listener, X509Certificate2 server, X509Certificate2 ca, IRevocationChecker checker, List<RevocationVerdict> verdicts, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var client = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(client.GetStream());
            IReadOnlyList<X509Certificate2>? chain = null;
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = server,
                ClientCertificateRequired = true,
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    // The client CA bundle alone is trusted (what --client-ca does); keep the validated chain.
                    using var build = new X509Chain();
                    build.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    build.ChainPolicy.CustomTrustStore.Add(ca);
                    build.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    var leaf = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                    var ok = build.Build(leaf);
                    chain = [.. build.ChainElements.Select(e => X509CertificateLoader.LoadCertificate(e.Certificate.RawData))];
                    return ok;
                },
            });

            var verdict = await checker.CheckAsync(chain!, CancellationToken.None);
            verdicts.Add(verdict);
            if (verdict.Allowed)
            {
                await ssl.WriteAsync("OK"u8.ToArray());
            }
        }
    }

    private static async Task<string> ConnectAsync(TcpListener listener, X509Certificate2 client, X509Certificate2 ca)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [client],
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
        }).WaitAsync(TestTimeouts.Default);

        // TLS 1.3: the handshake succeeds for a refused client too; the refusal is the EOF that follows.
        var buffer = new byte[16];
        var read = await ssl.ReadAsync(buffer).AsTask().WithTimeout();
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }
}
