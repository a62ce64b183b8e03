using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace FastRelay.Pki;

/// <summary>
/// The CA's database, index.txt, in OpenSSL's <c>ca</c> format (tab-separated: status V or R, expiry,
/// revocation time[,reason], serial, file, subject), so <c>openssl ocsp -index</c> and <c>openssl ca</c>
/// can read it too. Reading is strict: a damaged line is an error naming the line, never skipped.
/// </summary>
internal static class CaIndex
{
    // The reason names OpenSSL writes after the revocation time (crypto/x509/v3_crld.c, apps/ca.c crl_reasons).
    private static readonly (X509RevocationReason Reason, string Name)[] ReasonNames =
    [
        (X509RevocationReason.Unspecified, "unspecified"),
        (X509RevocationReason.KeyCompromise, "keyCompromise"),
        (X509RevocationReason.CACompromise, "CACompromise"),
        (X509RevocationReason.AffiliationChanged, "affiliationChanged"),
        (X509RevocationReason.Superseded, "superseded"),
        (X509RevocationReason.CessationOfOperation, "cessationOfOperation"),
        (X509RevocationReason.CertificateHold, "certificateHold"),
        (X509RevocationReason.PrivilegeWithdrawn, "privilegeWithdrawn"),
        (X509RevocationReason.AACompromise, "AACompromise"),
    ];

    /// <summary>The reasons <c>ca revoke --reason</c> accepts.</summary>
    public static string ReasonsExpected => string.Join("|", ReasonNames.Select(r => r.Name));

    /// <summary>Parses a reason name (case-insensitive).</summary>
    public static bool TryParseReason(string text, out X509RevocationReason reason)
    {
        foreach (var (value, name) in ReasonNames)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                reason = value;
                return true;
            }
        }

        reason = default;
        return false;
    }

    /// <summary>The name of a reason as index.txt and the command line spell it.</summary>
    public static string ReasonName(X509RevocationReason reason) =>
        ReasonNames.FirstOrDefault(r => r.Reason == reason).Name ?? "unspecified";

    /// <summary>Reads index.txt; throws <see cref="PkiException"/> naming the first bad line.</summary>
    public static List<CaIndexEntry> Read(string path)
    {
        var entries = new List<CaIndexEntry>();
        var lineNumber = 0;
        // 64 MiB: some 400,000 certificates at about 150 bytes a line, far beyond what this small-site CA is for.
        foreach (var line in CaFiles.ReadText(path, 64 << 20, "CA index").ReplaceLineEndings("\n").Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            entries.Add(ParseLine(line) ?? throw new PkiException($"{path}:{lineNumber}: not an index line (expected V|R, expiry, revoked[,reason], serial, file, subject separated by tabs)"));
        }

        return entries;
    }

    /// <summary>Writes every entry, replacing the file atomically (write a temp file, then rename).</summary>
    public static void Write(string path, IEnumerable<CaIndexEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var e in entries)
        {
            var revoked = e.RevokedAt is { } at ? $"{FormatTime(at)},{ReasonName(e.Reason)}" : "";
            text.Append(CultureInfo.InvariantCulture, $"{(e.IsRevoked ? 'R' : 'V')}\t{FormatTime(e.NotAfter)}\t{revoked}\t{e.Serial}\t{e.Name}\t{e.Subject}\n");
        }

        Configuration.AtomicFile.Write(path, Encoding.UTF8.GetBytes(text.ToString()), CaFiles.PublicFileMode, keepExistingMode: true);
    }

    private static CaIndexEntry? ParseLine(string line)
    {
        var f = line.Split('\t');
        if (f.Length != 6 || f[0] is not ("V" or "R") || !TryParseTime(f[1], out var notAfter)
            || !SerialNumber.TryParse(f[3], out var serial))
        {
            return null;
        }

        DateTimeOffset? revokedAt = null;
        var reason = X509RevocationReason.Unspecified;
        if (f[0] == "R")
        {
            var parts = f[2].Split(',');
            if (!TryParseTime(parts[0], out var at) || (parts.Length > 1 && !TryParseReason(parts[1], out reason)))
            {
                return null;
            }

            revokedAt = at;
        }

        return new CaIndexEntry(serial, notAfter, revokedAt, reason, f[4], f[5]);
    }

    // OpenSSL writes UTCTime (YYMMDDHHMMSSZ) before 2050 and GeneralizedTime after (RFC 5280 4.1.2.5).
    private static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString(t.Year < 2050 ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'", CultureInfo.InvariantCulture);

    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        var ok = DateTime.TryParseExact(text, text.Length == 13 ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc);
        time = ok ? new DateTimeOffset(utc, TimeSpan.Zero) : default;
        return ok;
    }
}
