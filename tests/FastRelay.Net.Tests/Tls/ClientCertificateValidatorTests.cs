using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Filtering;
using FastRelay.TestKit;
using FastRelay.Tls;
using Microsoft.Extensions.Time.Testing;

namespace FastRelay.Net.Tests.Tls;

/// <summary>The validator as a pure function of (certificate, chain, errors), without sockets (STYLE H7).</summary>
public sealed class ClientCertificateValidatorTests(PkiFixture fixture) : IClassFixture<PkiFixture>
{
    private readonly TestCertificates _pki = fixture.Pki;

    private (ClientCertificateValidator Validator, ClientCaBundle Ca, FakeTimeProvider Time) Create(params string[] allowCn)
    {
        var ca = ClientCaBundle.Load(_pki.CaFile);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return (new ClientCertificateValidator(ca, new CertificateAllowList(allowCn, []), time, keepChain: true), ca, time);
    }

    private static (X509Chain Chain, SslPolicyErrors Errors) Build(ClientCaBundle ca, X509Certificate2 certificate)
    {
        var chain = new X509Chain { ChainPolicy = ca.ChainPolicy.Clone() };
        return (chain, chain.Build(certificate) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors);
    }

    [Fact]
    public void Valid_IsAccepted_WithIdentityAndChain_ThenServedFromCache()
    {
        var (validator, ca, _) = Create();
        var (chain, errors) = Build(ca, _pki.Client);
        var verdict = validator.Validate(_pki.Client, chain, errors);
        Assert.True(verdict.Allowed, verdict.Reason);
        Assert.Equal("desk-7", verdict.Identity!.CommonName);
        Assert.Equal(2, verdict.Chain!.Count); // Leaf, then the root.

        Assert.Same(verdict, validator.Validate(_pki.Client, chain, errors));
        Assert.Equal(1, validator.CacheHits);
    }

    [Fact]
    public void HostileCertificates_AreRefusedWithAReason_NeverAnException()
    {
        // Anyone can present a self-signed certificate before the chain is checked: a multi-valued RDN made the CN read
        // throw InvalidOperationException, and an extension that does not decode a CryptographicException, out of the
        // handshake's callback.
        var (validator, ca, _) = Create();
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var multiValued = new CertificateRequest(MultiValuedName(("2.5.4.10", "corp"), ("2.5.4.3", "desk-7")), key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var stranger = multiValued.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var verdict = validator.Validate(stranger, Build(ca, stranger).Chain, Build(ca, stranger).Errors);
        Assert.False(verdict.Allowed);
        Assert.Equal("desk-7", verdict.Identity!.CommonName); // Read from the multi-valued RDN.
        Assert.Contains("does not chain to a CA in --client-ca", verdict.Reason, StringComparison.Ordinal);

        var broken = new CertificateRequest("CN=broken", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        broken.CertificateExtensions.Add(new X509Extension("2.5.29.15", [0x01, 0x02, 0x03], critical: false)); // Key usage that is not a BIT STRING.
        using var malformed = broken.Create(broken.SubjectName, X509SignatureGenerator.CreateForECDsa(key), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3]); // No private key: nothing checks the extension on the way.
        var refused = validator.Validate(malformed, Build(ca, malformed).Chain, Build(ca, malformed).Errors);
        Assert.False(refused.Allowed);
        Assert.False(string.IsNullOrEmpty(refused.Reason));
    }

    // One RDN holding several attributes (O=corp+CN=desk-7): .NET's string form cannot write one, so DER by hand.
    private static X500DistinguishedName MultiValuedName(params (string Oid, string Value)[] attributes)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSetOf())
        {
            foreach (var (oid, value) in attributes)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String, value);
                }
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }

    [Fact]
    public void CachedVerdict_ExpiresAfterMaxAge()
    {
        var (validator, ca, time) = Create();
        var (chain, errors) = Build(ca, _pki.Client);
        var first = validator.Validate(_pki.Client, chain, errors);
        time.Advance(ClientCertificateValidator.MaxCacheAge + TimeSpan.FromSeconds(1));
        Assert.NotSame(first, validator.Validate(_pki.Client, chain, errors));
        Assert.Equal(0, validator.CacheHits);
    }

    [Fact]
    public void Rejections_SayExactlyWhy()
    {
        var (validator, ca, _) = Create("desk-*");
        Assert.Contains("sent no certificate", validator.Validate(null, null, SslPolicyErrors.RemoteCertificateNotAvailable).Reason, StringComparison.Ordinal);
        Assert.Contains("expired on", Check(validator, ca, _pki.ExpiredClient), StringComparison.Ordinal);
        Assert.Contains("does not include clientAuth", Check(validator, ca, _pki.WrongEkuClient), StringComparison.Ordinal);
        Assert.Contains($"does not chain to a CA in --client-ca {_pki.CaFile}", Check(validator, ca, _pki.WrongCaClient), StringComparison.Ordinal);
        Assert.Contains("is not allowed by --allow-cn desk-*", Check(validator, ca, _pki.IssueClient("kiosk-1")), StringComparison.Ordinal);
    }

    [Fact]
    public void CaBundle_WithALeafInIt_IsRefused_NamingTheCertificate()
    {
        var ex = Assert.Throws<TlsLoadException>(() => ClientCaBundle.Load(_pki.ClientCertFile));
        Assert.Contains("'CN=desk-7' is not a CA certificate", ex.Message, StringComparison.Ordinal);
    }

    private static string Check(ClientCertificateValidator validator, ClientCaBundle ca, X509Certificate2 certificate)
    {
        var (chain, errors) = Build(ca, certificate);
        var verdict = validator.Validate(certificate, chain, errors);
        Assert.False(verdict.Allowed);
        return verdict.Reason!;
    }
}
