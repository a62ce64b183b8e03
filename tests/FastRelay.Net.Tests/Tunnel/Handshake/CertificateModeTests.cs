using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Tunnel.Handshake;

/// <summary>CA mode over loopback: a certificate from the enterprise CA signs each side's Noise static key.</summary>
public sealed class CertificateModeTests
{
    [Fact]
    public async Task Handshake_BothSidesWithCertificates_Succeeds()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("edge-1", isEdge: true));
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, ca.Credential("exit-1", isEdge: false));
        var (edge, exit) = await run.RunAsync();

        Assert.Null(edge.Error);
        Assert.Null(exit.Error);
        Assert.Equal(edge.Result!.Keys.HandshakeHash, exit.Result!.Keys.HandshakeHash);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_RsaPssLeaf_Succeeds()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], new TunnelCredential(ca.Leaf("edge-rsa", true, rsa: true)));
        var (edge, exit) = await run.RunAsync();
        Assert.Null(exit.Error);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_CertificateFromAnotherCa_IsRejected()
    {
        using var ca = new TunnelTestCertificates();
        using var other = new TunnelTestCertificates("Other CA");
        using var run = new HandshakeRun();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], other.Credential("edge-1", isEdge: true));
        var (edge, exit) = await run.RunAsync();
        Assert.StartsWith("edge identity rejected: certificate 'CN=edge-1' rejected: ", exit.Reason, StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_ExpiredBinding_IsRejected()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        run.ExitAuth = TunnelAuthentication.Pinned([run.EdgeKey.PublicKey.ToArray()],
            ca.Credential("exit-1", isEdge: false, bindingLifetime: TimeSpan.FromMinutes(-1)));
        var (edge, exit) = await run.RunAsync();
        Assert.StartsWith("exit identity rejected: static-key binding expired at ", edge.Reason, StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_BindingSignedForTheOtherRole_IsRejected()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        var credential = ca.Credential("exit-1", isEdge: false);
        credential.RoleOverride = (byte)'I';
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        run.ExitAuth = TunnelAuthentication.Pinned([run.EdgeKey.PublicKey.ToArray()], credential);
        var (edge, exit) = await run.RunAsync();
        Assert.Equal("exit identity rejected: static-key binding signature invalid", edge.Reason);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_EdgeCertificateUsedByAnExit_LacksServerAuth()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        run.ExitAuth = TunnelAuthentication.Pinned([run.EdgeKey.PublicKey.ToArray()], ca.Credential("edge-2", isEdge: true));
        var (edge, exit) = await run.RunAsync();
        Assert.Equal("exit identity rejected: certificate 'CN=edge-2' lacks the serverAuth extended key usage", edge.Reason);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_PeerInPinnedMode_HasNoCertificate()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots);
        var (edge, exit) = await run.RunAsync();
        Assert.Equal("edge identity rejected: no certificate chain (is the peer in pinned mode?)", exit.Reason);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_CertificateExpiredByTheVerifiersClock_IsRejected()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(60));
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, time: later);
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], ca.Credential("edge-1", isEdge: true));
        var (edge, exit) = await run.RunAsync();
        Assert.Contains("NotTimeValid", exit.Reason, StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_RevocationCheckRejects_ExitRefusesTheEdge()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        var seen = new List<string>();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, revocationCheck: chain =>
        {
            seen.AddRange(chain.Select(c => c.Subject));
            return "revoked by CRL (serial 01)";
        });
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], ca.Credential("edge-1", isEdge: true));
        var (edge, exit) = await run.RunAsync();

        Assert.Equal("edge identity rejected: certificate 'CN=edge-1' rejected: revoked by CRL (serial 01)", exit.Reason);
        Assert.Equal(["CN=edge-1", "CN=Tunnel Test CA"], seen);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Recheck_AfterTheBindingExpires_RejectsThePeer()
    {
        using var ca = new TunnelTestCertificates();
        using var run = new HandshakeRun();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, time: clock);
        run.ExitAuth = TunnelAuthentication.Pinned([run.EdgeKey.PublicKey.ToArray()],
            ca.Credential("exit-1", isEdge: false, bindingLifetime: TimeSpan.FromHours(1)));
        var (edge, exit) = await run.RunAsync();

        Assert.Null(run.EdgeAuth.Recheck(edge.Result!));
        Assert.NotNull(edge.Result!.PeerBindingNotAfter);
        clock.Advance(TimeSpan.FromHours(2));
        Assert.StartsWith("static-key binding expired at ", run.EdgeAuth.Recheck(edge.Result), StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public void Credential_WithoutPrivateKey_Throws()
    {
        using var ca = new TunnelTestCertificates();
        using var leaf = ca.Leaf("edge-1", true);
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(leaf.RawData);
        var error = Assert.Throws<ArgumentException>(() => new TunnelCredential(publicOnly));
        Assert.Contains("has no private key", error.Message, StringComparison.Ordinal);
    }

    private static void Dispose(HandshakeRun.Outcome edge, HandshakeRun.Outcome exit)
    {
        edge.Result?.Keys.Dispose();
        exit.Result?.Keys.Dispose();
        edge.Socket.Dispose();
        exit.Socket.Dispose();
    }
}
