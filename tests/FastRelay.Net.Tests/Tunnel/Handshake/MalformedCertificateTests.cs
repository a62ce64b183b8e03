using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// Regression for a `tools/fuzz.sh handshake` finding (inputs kept as tests/fuzz-corpus/handshake/crash-cert-*): a
/// certificate that parses but whose public key OpenSSL cannot decode made <see cref="X509Chain.Build"/> throw a
/// CryptographicException out of the handshake. On a gateway that escaped its handshake handler, leaking the
/// half-open slot (--max-handshakes) and the socket, so any peer able to finish XX (anyone) could use up the slots
/// with 128 such msg3s. Now it is a rejection with its reason, as for any other bad certificate.
/// </summary>
public sealed class MalformedCertificateTests
{
    [Theory]
    [InlineData("06032a0304")] // EC key whose curve parameter names no curve.
    [InlineData("0500")] // EC key with NULL parameters.
    public void CertificateCheck_LeafWithAnUndecodableKey_IsRejectedNotThrown(string curveParametersHex)
    {
        using var ca = new TunnelTestCertificates();
        var key = new PublicKey(new Oid("1.2.840.10045.2.1"), new AsnEncodedData(Convert.FromHexString(curveParametersHex)), new AsnEncodedData(RandomNumberGenerator.GetBytes(65)));
        var request = new CertificateRequest(new X500DistinguishedName("CN=mangled"), key, HashAlgorithmName.SHA256);
        using var caKey = ca.Ca.GetECDsaPrivateKey()!;
        using var leaf = request.Create(ca.Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        var identity = new IdentityPayload("edge", [leaf.RawData], new byte[64], (ulong)DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), null);

        var reason = CertificateCheck.Run(new byte[32], identity, StaticKeyBinding.InitiatorRole, ca.Roots, DateTimeOffset.UtcNow);

        Assert.NotNull(reason);
        Assert.Contains("CN=mangled", reason, StringComparison.Ordinal);
    }
}
