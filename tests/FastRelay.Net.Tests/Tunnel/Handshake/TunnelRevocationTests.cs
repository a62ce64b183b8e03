using FastRelay.Tls.Revocation;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// <c>--tunnel-crl</c> in CA mode: a CRL of the <c>--tunnel-ca</c> that lists the peer's certificate refuses it at the
/// handshake, and at the recheck after a rekey when it was revoked since; bad files are errors naming the flag.
/// </summary>
public sealed class TunnelRevocationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fastrelay-tunnel-crl-").FullName;

    [Fact]
    public async Task Handshake_CrlListsTheEdgeCertificate_ExitRefusesIt()
    {
        using var ca = new TunnelTestCertificates();
        using var leaf = ca.Leaf("edge-1", isEdge: true);
        var crl = Path.Combine(_directory, "tunnel.crl");
        ca.WriteCrl(crl, leaf);
        using var revocation = TunnelRevocation.Load([crl], ca.Roots);
        using var run = new HandshakeRun();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, revocationCheck: revocation.Check);
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], new TunnelCredential(leaf));

        var (edge, exit) = await run.RunAsync();

        Assert.Null(exit.Result);
        Assert.StartsWith("edge identity rejected: certificate 'CN=edge-1' rejected: revoked (serial ", exit.Reason, StringComparison.Ordinal);
        Assert.Contains($"per --tunnel-crl {crl}", exit.Reason, StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Handshake_CrlListsAnotherCertificate_Accepted()
    {
        using var ca = new TunnelTestCertificates();
        using var other = ca.Leaf("edge-2", isEdge: true);
        var crl = Path.Combine(_directory, "tunnel.crl");
        ca.WriteCrl(crl, other);
        using var revocation = TunnelRevocation.Load([crl], ca.Roots);
        using var run = new HandshakeRun();
        run.ExitAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, revocationCheck: revocation.Check);
        run.EdgeAuth = TunnelAuthentication.Pinned([run.ExitKey.PublicKey.ToArray()], ca.Credential("edge-1", isEdge: true));

        var (edge, exit) = await run.RunAsync();

        Assert.NotNull(exit.Result);
        Assert.Null(run.ExitAuth.Recheck(exit.Result));
        Dispose(edge, exit);
    }

    [Fact]
    public async Task Recheck_CertificateRevokedAfterTheHandshake_Rejected()
    {
        using var ca = new TunnelTestCertificates();
        using var leaf = ca.Leaf("exit-1", isEdge: false);
        var crl = Path.Combine(_directory, "tunnel.crl");
        ca.WriteCrl(crl);
        using var revocation = TunnelRevocation.Load([crl], ca.Roots);
        using var run = new HandshakeRun();
        run.EdgeAuth = TunnelAuthentication.CertificateAuthority(ca.Roots, revocationCheck: revocation.Check);
        run.ExitAuth = TunnelAuthentication.Pinned([run.EdgeKey.PublicKey.ToArray()], new TunnelCredential(leaf));
        var (edge, exit) = await run.RunAsync();
        Assert.NotNull(edge.Result);
        Assert.Null(run.EdgeAuth.Recheck(edge.Result));

        ca.WriteCrl(crl, leaf);
        Assert.Equal(0, revocation.Reload("test"));

        var reason = run.EdgeAuth.Recheck(edge.Result);
        Assert.StartsWith("certificate 'CN=exit-1' rejected: revoked (serial ", reason, StringComparison.Ordinal);
        Dispose(edge, exit);
    }

    [Fact]
    public void Load_NotACrl_ErrorNamesTheFlagAndTheFile()
    {
        using var ca = new TunnelTestCertificates();
        var bad = Path.Combine(_directory, "bad.crl");
        File.WriteAllText(bad, "not a CRL");
        var missing = Path.Combine(_directory, "missing.crl");

        var error = Assert.Throws<RevocationLoadException>(() => TunnelRevocation.Load([bad, missing], ca.Roots));

        Assert.Contains($"--tunnel-crl {bad}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected a CRL in PEM or DER", error.Message, StringComparison.Ordinal);
        Assert.Contains($"--tunnel-crl {missing}: file not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CrlOfAnotherCa_ErrorNamesTheTunnelCaBundle()
    {
        using var ca = new TunnelTestCertificates();
        using var other = new TunnelTestCertificates("Other CA");
        var crl = Path.Combine(_directory, "other.crl");
        other.WriteCrl(crl);

        var error = Assert.Throws<RevocationLoadException>(() => TunnelRevocation.Load([crl], ca.Roots));

        Assert.Contains($"--tunnel-crl {crl}: issued by 'CN=Other CA', which is not a CA of the --tunnel-ca bundle", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void Dispose(HandshakeRun.Outcome edge, HandshakeRun.Outcome exit)
    {
        edge.Result?.Keys.Dispose();
        exit.Result?.Keys.Dispose();
        edge.Socket.Dispose();
        exit.Socket.Dispose();
    }
}
