using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using X509Extensions = Org.BouncyCastle.Asn1.X509.X509Extensions;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace FastRelay.Pki;

/// <summary>
/// Answers OCSP requests (RFC 6960) for one <see cref="CertificateAuthority"/>: good, revoked (with time
/// and reason) or unknown for each certificate asked about, from index.txt as it is now (re-read when the
/// file changes, so <c>ca revoke</c> takes effect at once), signed by the CA key itself (4.2.2.2), with
/// thisUpdate now and nextUpdate <see cref="Validity"/> later, and the request's nonce echoed (4.4.1).
/// </summary>
/// <remarks>Thread-safe: responses are built from an immutable snapshot of the index.</remarks>
internal sealed class OcspResponseBuilder
{
    private readonly CertificateAuthority _ca;
    private readonly BcCertificate _issuer;
    private readonly ISignatureFactory _signer;
    private readonly TimeProvider _time;
    private readonly Lock _indexLock = new();
    private (DateTime WriteTime, Dictionary<string, CaIndexEntry> Entries) _index;

    public OcspResponseBuilder(CertificateAuthority ca, TimeSpan validity, TimeProvider time)
    {
        _ca = ca;
        _time = time;
        Validity = validity;
        _issuer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(ca.Certificate.RawData);
        var isRsa = ca.Certificate.GetRSAPrivateKey() is not null;
        using AsymmetricAlgorithm key = isRsa ? ca.Certificate.GetRSAPrivateKey()! : ca.Certificate.GetECDsaPrivateKey()!;
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            _signer = new Asn1SignatureFactory(isRsa ? "SHA256WITHRSA" : "SHA256WITHECDSA", PrivateKeyFactory.CreateKey(pkcs8));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>How long a response may be relied on (its nextUpdate minus thisUpdate).</summary>
    /// <remarks>Defaults to 1h in <c>ca ocsp</c>.</remarks>
    public TimeSpan Validity { get; }

    /// <summary>
    /// The DER response to a DER request. A request that does not parse gets the malformedRequest status
    /// (RFC 6960 2.3) rather than an exception; the caller sends it with HTTP 200 as the RFC asks.
    /// </summary>
    public byte[] Respond(ReadOnlySpan<byte> requestDer, out string summary)
    {
        OcspReq request;
        try
        {
            request = new OcspReq(requestDer.ToArray());
            _ = request.GetRequestList(); // Forces the lazy parse here, where failure is expected.
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidCastException or InvalidOperationException)
        {
            summary = "malformed request: " + ex.Message;
            return new OCSPRespGenerator().Generate(OCSPRespGenerator.MalformedRequest, null).GetEncoded();
        }

        Dictionary<string, CaIndexEntry> entries;
        try
        {
            entries = CurrentIndex();
        }
        catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Never an answer from an index we cannot read (a revocation may be what it failed to show): internalError
            // (RFC 6960 2.3), with the reason in the request's log line; the next request reads the file again.
            summary = "internal error: " + ex.Message;
            return new OCSPRespGenerator().Generate(OCSPRespGenerator.InternalError, null).GetEncoded();
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var generator = new BasicOcspRespGenerator(new RespID(_issuer.GetPublicKey()));
        var statuses = new List<string>();
        foreach (var single in request.GetRequestList())
        {
            var id = single.GetCertID();
            var serial = SerialNumber.Format(id.SerialNumber.ToByteArray());
            CertificateStatus? status;
            if (!id.MatchesIssuer(_issuer) || !entries.TryGetValue(serial, out var entry))
            {
                // Not ours, or not in the database: unknown (RFC 6960 2.2), never good.
                status = new UnknownStatus();
                statuses.Add($"{serial} unknown");
            }
            else if (entry.IsRevoked)
            {
                status = new RevokedStatus(entry.RevokedAt!.Value.UtcDateTime, (int)entry.Reason);
                statuses.Add($"{serial} revoked");
            }
            else
            {
                status = CertificateStatus.Good;
                statuses.Add($"{serial} good");
            }

            generator.AddResponse(id, status, now, now.Add(Validity), null);
        }

        if (request.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNonce) is { } nonce)
        {
            generator.SetResponseExtensions(new X509Extensions(
                new Dictionary<DerObjectIdentifier, Org.BouncyCastle.Asn1.X509.X509Extension> { [OcspObjectIdentifiers.PkixOcspNonce] = new(false, nonce) }));
        }

        summary = string.Join(", ", statuses);
        var basic = generator.Generate(_signer, null, now);
        return new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, basic).GetEncoded();
    }

    private Dictionary<string, CaIndexEntry> CurrentIndex()
    {
        lock (_indexLock)
        {
            var writeTime = File.GetLastWriteTimeUtc(_ca.Files.Index);
            if (_index.Entries is null || writeTime != _index.WriteTime)
            {
                var entries = _ca.ReadIndex();
                var bySerial = new Dictionary<string, CaIndexEntry>(entries.Count, StringComparer.Ordinal);
                foreach (var entry in entries)
                {
                    if (!bySerial.TryAdd(entry.Serial, entry))
                    {
                        throw new PkiException($"{_ca.Files.Index}: serial {entry.Serial} is listed twice; an index names each certificate once");
                    }
                }

                _index = (writeTime, bySerial);
            }

            return _index.Entries;
        }
    }
}
