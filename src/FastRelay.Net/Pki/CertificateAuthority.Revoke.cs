using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Pki;

internal sealed partial class CertificateAuthority
{
    /// <summary>Default validity of a CRL (<c>ca crl --days</c>): a week, with nextUpdate set to match.</summary>
    public const int DefaultCrlDays = 7;

    /// <summary>
    /// Marks the certificate with <paramref name="serial"/> revoked from now on. Revoking it again keeps the
    /// first time and reason and returns false; an unknown serial throws naming it.
    /// </summary>
    public bool Revoke(string serial, X509RevocationReason reason, out CaIndexEntry entry)
    {
        if (!SerialNumber.TryParse(serial, out var canonical))
        {
            throw new PkiException($"--serial {serial}: expected {SerialNumber.Expected}");
        }

        using (Files.Lock())
        {
            var index = ReadIndex();
            var at = index.FindIndex(e => e.Serial == canonical);
            if (at < 0)
            {
                throw new PkiException($"--serial {serial}: no certificate with this serial in {Files.Index} ({index.Count} issued); 'fastrelay ca issue' prints the serial");
            }

            entry = index[at];
            if (entry.IsRevoked)
            {
                return false;
            }

            entry = entry with { RevokedAt = _time.GetUtcNow(), Reason = reason };
            index[at] = entry;
            CaIndex.Write(Files.Index, index);
            return true;
        }
    }

    /// <summary>
    /// Signs a CRL (RFC 5280 5) listing every revoked certificate, with thisUpdate now, nextUpdate
    /// <paramref name="validity"/> later and the next CRL number (5.2.3, kept in DIR/crlnumber). DER-encoded.
    /// </summary>
    public byte[] BuildCrl(TimeSpan validity)
    {
        using (Files.Lock())
        {
            var builder = new CertificateRevocationListBuilder();
            foreach (var e in ReadIndex().Where(e => e.IsRevoked))
            {
                builder.AddEntry(Convert.FromHexString(e.Serial), e.RevokedAt!.Value, e.Reason);
            }

            var number = ReadCrlNumber();
            var now = _time.GetUtcNow();
            var crl = builder.Build(Certificate, number, now.Add(validity), HashAlgorithmName.SHA256,
                Certificate.GetRSAPrivateKey() is null ? null : RSASignaturePadding.Pkcs1, now);
            CaFiles.WritePublicText(Files.CrlNumber, (number + 1).ToString(CultureInfo.InvariantCulture) + "\n");
            return crl;
        }
    }

    private BigInteger ReadCrlNumber()
    {
        var text = File.Exists(Files.CrlNumber) ? CaFiles.ReadText(Files.CrlNumber, 4096, "CRL number").Trim() : "1";
        return BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new PkiException($"{Files.CrlNumber}: expected a positive whole number (the next CRL number), got '{text}'");
    }
}
