using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Tls.Revocation;
using Org.BouncyCastle.Ocsp;

namespace FastRelay.Tls.Stapling;

/// <summary>
/// Checks that an OCSP response file is fit to staple for a server certificate: it parses as an OCSP
/// response (DER, or PEM-armoured base64), its status is successful, it has a "good" answer for this
/// certificate (serial and issuer-name hash; issuer key and signature too when the issuer is known), and it
/// is current (thisUpdate not ahead, nextUpdate not past, 5 min skew). Stapling anything else would make
/// strict clients (Must-Staple, <c>s_client -status</c> with verification) refuse us.
/// </summary>
internal static class OcspStapleValidator
{
    /// <summary>Validates <paramref name="bytes"/>; on success gives the DER to staple and its nextUpdate.</summary>
    public static bool TryValidate(
        byte[] bytes, X509Certificate2 certificate, X509Certificate2? issuer, DateTimeOffset now,
        out byte[] der, out DateTimeOffset nextUpdate, out string error)
    {
        der = Unarmour(bytes);
        nextUpdate = default;
        SingleResp[] responses;
        BasicOcspResp basic;
        try
        {
            var response = new OcspResp(der);
            if (response.Status != OcspRespStatus.Successful)
            {
                error = $"the response status is {response.Status}, not successful (RFC 6960 2.3)";
                return false;
            }

            basic = (BasicOcspResp)response.GetResponseObject();
            responses = basic.Responses;
        }
        catch (Exception ex) when (ex is IOException or OcspException or ArgumentException or InvalidCastException or NullReferenceException)
        {
            error = $"not an OCSP response in DER ({ex.Message}); save the responder's answer as is, e.g. openssl ocsp ... -respout FILE";
            return false;
        }

        var bcIssuer = issuer is null ? null : new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(issuer.RawData);
        var single = responses.FirstOrDefault(r => IsFor(r.GetCertID(), certificate, bcIssuer));
        if (single is null)
        {
            error = $"it has no answer for this certificate ('{certificate.Subject}', serial {certificate.SerialNumber})";
            return false;
        }

        if (bcIssuer is not null && !OcspSignature.IsSignedByAuthority(basic, bcIssuer, now.UtcDateTime))
        {
            error = $"it is not signed by the issuer '{issuer!.Subject}' or a responder it authorized";
            return false;
        }

        return TryJudge(single, now, out nextUpdate, out error);
    }

    private static bool TryJudge(SingleResp single, DateTimeOffset now, out DateTimeOffset nextUpdate, out string error)
    {
        nextUpdate = default;
        if (single.GetCertStatus() is not null)
        {
            error = single.GetCertStatus() is RevokedStatus ? "it says the certificate is REVOKED" : "it says the certificate's status is unknown";
            return false;
        }

        if (single.NextUpdate is not { } next)
        {
            // Without nextUpdate there is no point at which to stop stapling it (RFC 6960 4.2.2.1).
            error = "it has no nextUpdate; ask the responder for one that does";
            return false;
        }

        nextUpdate = new DateTimeOffset(next, TimeSpan.Zero);
        if (new DateTimeOffset(single.ThisUpdate, TimeSpan.Zero) > now + OcspClient.MaxSkew)
        {
            error = $"its thisUpdate {single.ThisUpdate:u} is in the future";
            return false;
        }

        if (nextUpdate <= now)
        {
            error = $"it expired at {nextUpdate:u} (nextUpdate); fetch a new one";
            return false;
        }

        error = "";
        return true;
    }

    private static bool IsFor(CertificateID id, X509Certificate2 certificate, Org.BouncyCastle.X509.X509Certificate? issuer)
    {
        if (!id.SerialNumber.ToByteArrayUnsigned().AsSpan().SequenceEqual(certificate.SerialNumberBytes.Span.TrimStart((byte)0)))
        {
            return false;
        }

        if (issuer is not null)
        {
            return id.MatchesIssuer(issuer);
        }

        // No issuer at hand: the issuer-name hash still ties the answer to this certificate's CA by name.
        var name = certificate.IssuerName.RawData;
        byte[]? hash = id.HashAlgOid switch
        {
#pragma warning disable CA5350 // SHA-1 is the CertID hash RFC 5019 mandates; here it only matches names, it protects nothing.
            "1.3.14.3.2.26" => SHA1.HashData(name),
#pragma warning restore CA5350
            "2.16.840.1.101.3.4.2.1" => SHA256.HashData(name),
            "2.16.840.1.101.3.4.2.2" => SHA384.HashData(name),
            "2.16.840.1.101.3.4.2.3" => SHA512.HashData(name),
            _ => null,
        };
        return hash is not null && hash.AsSpan().SequenceEqual(id.GetIssuerNameHash());
    }

    private static byte[] Unarmour(byte[] bytes)
    {
        // Some tools save responses base64-armoured; accept that too, but DER is the canonical form.
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        return PemEncoding.TryFind(text, out var fields)
            ? Convert.FromBase64String(text[fields.Base64Data])
            : bytes;
    }
}
