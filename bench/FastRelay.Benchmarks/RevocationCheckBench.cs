using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using FastRelay.Configuration;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRelay.Benchmarks;

/// <summary>
/// Hot path: the CRL part of the client-certificate revocation check run once per mutual-TLS handshake
/// (<see cref="RevocationChecker.CheckAsync"/> with <c>--crl</c>: issuer lookup, key match, serial lookup),
/// for a certificate the CRL does not list and one it does. CRL sizes sweep a small site (10), a large one
/// (10,000) and a CA that never prunes (100,000): the lookup must stay flat and allocate nothing.
/// <c>OcspCacheHit</c>: the same check answered from the OCSP cache (no CRL; the first lookup went to a
/// loopback <c>fastrelay ca ocsp</c> in setup), independent of the CRL size.
/// </summary>
[MemoryDiagnoser]
public class RevocationCheckBench
{
    private string _directory = null!;
    private RevocationChecker _checker = null!;
    private X509Certificate2[] _good = null!;
    private X509Certificate2[] _revoked = null!;
    private RevocationChecker _ocspChecker = null!;
    private X509Certificate2[] _ocspChain = null!;
    private FastRelay.Pki.CertificateAuthority _ca = null!;
    private FastRelay.Pki.OcspResponder _responder = null!;

    [Params(10, 10_000, 100_000)]
    public int RevokedCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("fastrelay-bench-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Bench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        var crl = new CertificateRevocationListBuilder();
        for (var i = 0; i < RevokedCount; i++)
        {
            crl.AddEntry(FastRelay.Pki.SerialNumber.NewRandom(), now.AddHours(-1));
        }

        var revokedLeaf = Leaf(ca, "revoked", 7);
        crl.AddEntry(revokedLeaf.SerialNumberBytes.Span, now.AddHours(-1));
        var path = Path.Combine(_directory, "bench.crl");
        File.WriteAllBytes(path, crl.Build(ca, BigInteger.One, now.AddDays(7), HashAlgorithmName.SHA256));

        var anchor = X509CertificateLoader.LoadCertificate(ca.RawData);
        var options = new RevocationOptions { Mode = RevocationMode.HardFail, CrlFiles = [path], OcspTimeout = TimeSpan.Zero };
        _checker = RevocationChecker.Create(options, [anchor], NullLogger.Instance, TimeProvider.System)!;
        _good = [Leaf(ca, "good", 9), anchor];
        _revoked = [revokedLeaf, anchor];
        SetupOcsp();
    }

    // A `fastrelay ca` CA with its responder on loopback; the checker's cache is warmed once, so the
    // benchmark measures a cache hit (what every handshake after the first pays until nextUpdate).
    private void SetupOcsp()
    {
        var dir = Path.Combine(_directory, "ca");
        _ca = FastRelay.Pki.CertificateAuthority.Init(dir, "Bench OCSP CA", FastRelay.Pki.CaKeyType.Ecdsa, 30, new FastRelay.Pki.CaSettings(), TimeProvider.System);
        _responder = FastRelay.Pki.OcspResponder.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            new FastRelay.Pki.OcspResponseBuilder(_ca, TimeSpan.FromHours(1), TimeProvider.System), NullLogger.Instance);
        (_ca.Settings with { OcspUrl = $"http://127.0.0.1:{_responder.EndPoint.Port}" }).Write(_ca.Files.Settings);
        _ca.Dispose();
        _ca = FastRelay.Pki.CertificateAuthority.Open(dir, TimeProvider.System);
        _ca.Issue(new FastRelay.Pki.IssueRequest("client", FastRelay.Pki.CertificateRole.Client, [], [], [], 30, null));
        var (certificate, _) = _ca.Files.Issued("client");
        _ocspChain = [X509CertificateLoader.LoadCertificateFromFile(certificate), X509CertificateLoader.LoadCertificate(_ca.Certificate.RawData)];
        var options = new RevocationOptions { Mode = RevocationMode.HardFail, OcspTimeout = TimeSpan.FromSeconds(2) };
        _ocspChecker = RevocationChecker.Create(options, [_ocspChain[1]], NullLogger.Instance, TimeProvider.System)!;
        if (!_ocspChecker.CheckAsync(_ocspChain, CancellationToken.None).AsTask().GetAwaiter().GetResult().Allowed)
        {
            throw new InvalidOperationException("the OCSP warm-up was refused");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _checker.Dispose();
        _ocspChecker.Dispose();
        _responder.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public bool NotListed() => Allowed(_checker.CheckAsync(_good, CancellationToken.None));

    [Benchmark]
    public bool Listed() => Allowed(_checker.CheckAsync(_revoked, CancellationToken.None));

    [Benchmark]
    public bool OcspCacheHit() => Allowed(_ocspChecker.CheckAsync(_ocspChain, CancellationToken.None));

    // The CRL path completes synchronously (no OCSP here); the fallback only guards the benchmark's own correctness.
    private static bool Allowed(ValueTask<FastRelay.Tls.RevocationVerdict> check) =>
        check.IsCompletedSuccessfully ? check.Result.Allowed : check.AsTask().GetAwaiter().GetResult().Allowed;

    private static X509Certificate2 Leaf(X509Certificate2 ca, string name, byte serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        return request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [0x11, serial, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
    }
}
