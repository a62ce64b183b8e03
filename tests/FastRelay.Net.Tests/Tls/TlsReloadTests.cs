using System.Net;
using FastRelay.Backends;
using FastRelay.TestKit;

namespace FastRelay.Net.Tests.Tls;

/// <summary>
/// A certificate reload swaps what new handshakes see without touching open connections, and a bad file
/// keeps the running certificate (the error names the file).
/// </summary>
public sealed class TlsReloadTests : IDisposable
{
    // Its own PKI: these tests rewrite the files.
    private readonly TestCertificates _pki = TestCertificates.Create();

    [Fact]
    public async Task Reload_NewHandshakesSeeNewCertificate_OpenConnectionKeepsWorking()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString());
        await using var before = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        Assert.Equal(_pki.Server.Thumbprint, new System.Security.Cryptography.X509Certificates.X509Certificate2(before.RemoteCertificate!).Thumbprint);

        var renewed = _pki.IssueServer("edge-renewed.test");
        _pki.Write("server.pem", renewed, _pki.Intermediate);
        _pki.WriteKey("server.key", renewed);
        var errors = new List<string>();
        Assert.True(edge.Server.Tls!.TryReload(errors), string.Join("; ", errors));
        Assert.Equal(2, edge.Server.Tls.Version);

        await using var after = await TlsTestClient.ConnectAsync(edge.EndPoint, _pki, _pki.Client);
        Assert.Equal(renewed.Thumbprint, new System.Security.Cryptography.X509Certificates.X509Certificate2(after.RemoteCertificate!).Thumbprint);

        // The connection made before the reload still carries bytes both ways.
        await before.WriteAsync("still here"u8.ToArray());
        var buffer = new byte[10];
        await before.ReadExactlyAsync(buffer).AsTask().WithTimeout();
        Assert.Equal("still here"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task Reload_BadKey_KeepsTheRunningCertificate_AndNamesTheFile()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString());
        var stranger = _pki.IssueServer("stranger.test");
        _pki.WriteKey("server.key", stranger); // Does not match server.pem.

        var errors = new List<string>();
        Assert.False(edge.Server.Tls!.TryReload(errors));
        var error = Assert.Single(errors);
        Assert.Contains($"--tls-key {_pki.ServerKeyFile}: does not match the certificate in --tls-cert {_pki.ServerCertFile}", error, StringComparison.Ordinal);
        Assert.Equal(1, edge.Server.Tls.Version);

        await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.Client);
    }

    [Fact]
    public async Task Reload_NewClientCa_RefusesClientsOfTheOldOne()
    {
        await using var echo = LoopbackBackend.Start(new IPEndPoint(IPAddress.Loopback, 0), BackendMode.Echo);
        await using var edge = TestEdge.StartTls(_pki, echo.EndPoint.ToString());
        await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.Client);
        _pki.Write("client-ca.pem", _pki.OtherCa);
        Assert.True(edge.Server.Tls!.TryReload([]));
        await MutualTlsTests.AssertEchoesAsync(edge, _pki, _pki.WrongCaClient);
        await MutualTlsTests.AssertRefusedAsync(edge, _pki, _pki.Client);
    }

    public void Dispose() => _pki.Dispose();
}
