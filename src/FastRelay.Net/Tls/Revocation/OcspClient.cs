using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcExtension = Org.BouncyCastle.Asn1.X509.X509Extension;
using BcExtensions = Org.BouncyCastle.Asn1.X509.X509Extensions;

namespace FastRelay.Tls.Revocation;

/// <summary>
/// Asks a certificate's OCSP responder (the AIA URL, RFC 5280 4.2.2.1) for its status with an HTTP POST
/// (RFC 6960 A.1) and accepts the answer only if it is signed by the issuer itself or by a responder the
/// issuer delegated with id-kp-OCSPSigning (4.2.2.2), is for this certificate, echoes our nonce when it has
/// one (4.4.1), and is current: thisUpdate not in the future and nextUpdate not past, with 5 minutes of
/// clock skew like OpenSSL's OCSP_check_validity.
/// </summary>
/// <remarks>Thread-safe. Never throws for a lookup outcome: failures are <see cref="OcspStatus.Failed"/> with the reason.</remarks>
internal sealed class OcspClient(HttpClient http, TimeSpan timeout, TimeProvider time)
{
    /// <summary>
    /// The largest answer read: the HttpClient's <see cref="HttpClient.MaxResponseContentBufferSize"/>, set by whoever
    /// makes it (<see cref="RevocationChecker"/>). A response is a few KiB with its responder's certificate; without a
    /// bound, a broken responder could stream up to 2 GiB into memory within the timeout.
    /// </summary>
    public const int MaxResponseBytes = 1 << 20;

    /// <summary>Clock skew tolerated on thisUpdate and nextUpdate.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>How long a failure is remembered, so a dead responder costs one timeout per 5 s, not one per handshake.</summary>
    public static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(5);

    /// <summary>How long an answer without nextUpdate is reused (RFC 6960 2.4: "newer information is always available").</summary>
    public static readonly TimeSpan NoNextUpdateCache = TimeSpan.FromMinutes(1);

    /// <summary>Looks up <paramref name="certificate"/> issued by <paramref name="issuer"/> at <paramref name="url"/>.</summary>
    public async Task<OcspResult> QueryAsync(X509Certificate2 certificate, X509Certificate2 issuer, string url)
    {
        try
        {
            return await QueryOrThrowAsync(certificate, issuer, url);
        }
#pragma warning disable CA1031 // Whatever else fails (a malformed AIA URL in PostAsync, BouncyCastle parsing parts of an answer only when they are read) is a failed lookup: cached for the backoff like the others, never an exception in a handshake.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return Failed($"OCSP lookup at {url} failed ({ex.GetType().Name}: {ex.Message.TrimEnd('.')})");
        }
    }

    private async Task<OcspResult> QueryOrThrowAsync(X509Certificate2 certificate, X509Certificate2 issuer, string url)
    {
        var bcIssuer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(issuer.RawData);
        var id = new CertificateID(CertificateID.DigestSha1, bcIssuer, new BigInteger(1, certificate.SerialNumberBytes.ToArray()));
        var nonce = new DerOctetString(RandomNumberGenerator.GetBytes(16));
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        generator.SetRequestExtensions(new BcExtensions(new Dictionary<DerObjectIdentifier, BcExtension>
        {
            [OcspObjectIdentifiers.PkixOcspNonce] = new(false, new DerOctetString(nonce.GetEncoded())),
        }));

        byte[] body;
        using (var timeoutSource = new CancellationTokenSource(timeout, time))
        {
            try
            {
                using var content = new ByteArrayContent(generator.Generate().GetEncoded());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
                using var response = await http.PostAsync(url, content, timeoutSource.Token);
                if (!response.IsSuccessStatusCode)
                {
                    return Failed($"OCSP responder {url} answered HTTP {(int)response.StatusCode}");
                }

                body = await response.Content.ReadAsByteArrayAsync(timeoutSource.Token);
            }
            catch (OperationCanceledException)
            {
                return Failed($"OCSP responder {url} did not answer within {timeout.TotalMilliseconds:0}ms");
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
            {
                return Failed($"OCSP responder {url} sent an answer of more than {MaxResponseBytes} bytes; not read");
            }
            catch (HttpRequestException ex)
            {
                return Failed($"OCSP responder {url} unreachable ({ex.HttpRequestError}: {ex.Message})");
            }
        }

        return Verify(body, id, bcIssuer, nonce, url);
    }

    private OcspResult Verify(byte[] body, CertificateID id, BcCertificate issuer, DerOctetString nonce, string url)
    {
        BasicOcspResp basic;
        try
        {
            var response = new OcspResp(body);
            if (response.Status != OcspRespStatus.Successful)
            {
                return Failed($"OCSP responder {url} answered with status {response.Status} (RFC 6960 2.3), not successful");
            }

            basic = response.GetResponseObject() as BasicOcspResp ?? throw new OcspException("not a basic OCSP response");
        }
        catch (Exception ex) when (ex is IOException or OcspException or ArgumentException or InvalidCastException)
        {
            return Failed($"OCSP responder {url} sent something that is not an OCSP response ({ex.Message})");
        }

        var now = time.GetUtcNow();
        if (!OcspSignature.IsSignedByAuthority(basic, issuer, now.UtcDateTime))
        {
            return Failed($"OCSP response from {url} is not signed by the issuer or a responder it delegated (id-kp-OCSPSigning)");
        }

        if (basic.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is { } echoed
            && !echoed.GetOctets().AsSpan().SequenceEqual(nonce.GetEncoded()))
        {
            return Failed($"OCSP response from {url} carries a different nonce (a replayed answer?)");
        }

        var single = basic.Responses.FirstOrDefault(r => r.GetCertID().Equals(id));
        if (single is null)
        {
            return Failed($"OCSP response from {url} has no status for this certificate");
        }

        return Judge(single, now, url);
    }

    private static OcspResult Judge(SingleResp single, DateTimeOffset now, string url)
    {
        var thisUpdate = new DateTimeOffset(single.ThisUpdate, TimeSpan.Zero);
        DateTimeOffset? nextUpdate = single.NextUpdate is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
        if (thisUpdate > now + MaxSkew)
        {
            return new OcspResult(OcspStatus.Failed, now + FailureBackoff, $"OCSP response from {url} has thisUpdate {thisUpdate:u}, in the future");
        }

        if (nextUpdate is { } expiry && expiry < now - MaxSkew)
        {
            return new OcspResult(OcspStatus.Failed, now + FailureBackoff, $"OCSP response from {url} expired at {expiry:u} (nextUpdate)");
        }

        var cacheUntil = nextUpdate ?? now + NoNextUpdateCache;
        return single.GetCertStatus() switch
        {
            null => new OcspResult(OcspStatus.Good, cacheUntil, $"good per OCSP {url}"),
            RevokedStatus revoked => new OcspResult(OcspStatus.Revoked, cacheUntil,
                $"revoked per OCSP {url} since {revoked.RevocationTime:u}{(revoked.HasRevocationReason ? $", reason {(CrlReasonName)revoked.RevocationReason}" : "")}"),
            _ => new OcspResult(OcspStatus.Unknown, cacheUntil, $"OCSP responder {url} does not know this certificate (status unknown)"),
        };
    }

    private OcspResult Failed(string detail) => new(OcspStatus.Failed, time.GetUtcNow() + FailureBackoff, detail);
}

/// <summary>CRLReason names (RFC 5280 5.3.1), for details.</summary>
internal enum CrlReasonName
{
    Unspecified = 0,
    KeyCompromise = 1,
    CACompromise = 2,
    AffiliationChanged = 3,
    Superseded = 4,
    CessationOfOperation = 5,
    CertificateHold = 6,
    RemoveFromCrl = 8,
    PrivilegeWithdrawn = 9,
    AACompromise = 10,
}
