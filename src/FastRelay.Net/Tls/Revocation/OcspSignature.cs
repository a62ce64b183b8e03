using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcKeyPurpose = Org.BouncyCastle.Asn1.X509.KeyPurposeID;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// Who may sign an OCSP response (RFC 6960 4.2.2.2): the issuing CA itself, or a responder whose
/// certificate that CA issued with id-kp-OCSPSigning, valid now and carried in the response.
/// </summary>
internal static class OcspSignature
{
    /// <summary>True when <paramref name="basic"/> is signed by <paramref name="issuer"/> or a responder it authorized.</summary>
    public static bool IsSignedByAuthority(BasicOcspResp basic, BcCertificate issuer, DateTime now)
    {
        if (TryVerify(basic, issuer.GetPublicKey()))
        {
            return true;
        }

        // A delegated responder: its certificate comes with the response, is issued by the same CA and
        // carries id-kp-OCSPSigning (RFC 6960 4.2.2.2); anything else could be any key at all.
        foreach (var responder in basic.GetCerts() ?? [])
        {
            try
            {
                if (responder.IssuerDN.Equivalent(issuer.SubjectDN) && responder.IsValid(now)
                    && (responder.GetExtendedKeyUsage()?.Contains(BcKeyPurpose.id_kp_OCSPSigning) ?? false))
                {
                    responder.Verify(issuer.GetPublicKey());
                    if (TryVerify(basic, responder.GetPublicKey()))
                    {
                        return true;
                    }
                }
            }
            catch (Exception ex) when (ex is Org.BouncyCastle.Security.GeneralSecurityException or Org.BouncyCastle.Security.Certificates.CertificateException)
            {
                // Not signed by the issuer, or unreadable: not an authorized responder; try the next.
            }
        }

        return false;
    }

    private static bool TryVerify(BasicOcspResp basic, Org.BouncyCastle.Crypto.AsymmetricKeyParameter key)
    {
        try
        {
            return basic.Verify(key);
        }
        catch (Exception ex) when (ex is OcspException or InvalidCastException or ArgumentException or Org.BouncyCastle.Security.GeneralSecurityException)
        {
            // A key of another algorithm than the signature's (e.g. RSA key, ECDSA signature): not this signer.
            return false;
        }
    }
}
