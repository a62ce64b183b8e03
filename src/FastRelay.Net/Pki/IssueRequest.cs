using System.Net;

namespace FastRelay.Pki;

/// <summary>What <c>ca issue</c> asks for.</summary>
/// <param name="Name">The subject CN and the file names (NAME.pem, NAME.key); see <see cref="IsValidName"/>.</param>
/// <param name="Role">Server (serverAuth EKU, DNS/IP SANs) or client (clientAuth EKU).</param>
/// <param name="DnsNames">SAN dNSName entries.</param>
/// <param name="IpAddresses">SAN iPAddress entries.</param>
/// <param name="Uris">SAN uniformResourceIdentifier entries (e.g. SPIFFE IDs).</param>
/// <param name="Days">Validity in days; cut to the CA's own expiry.</param>
/// <param name="KeyType">The key type; null for the CA's.</param>
internal sealed record IssueRequest(
    string Name, CertificateRole Role, IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> IpAddresses,
    IReadOnlyList<Uri> Uris, int Days, CaKeyType? KeyType)
{
    /// <summary>Default for <see cref="Days"/>: 397, the CA/Browser Forum's ceiling for server certificates.</summary>
    public const int DefaultDays = 397;

    /// <summary>What a name must look like, for error messages.</summary>
    public const string NameExpected = "1-64 characters of letters, digits, '.', '-' and '_', not starting with '.' or '-' (it names the files NAME.pem and NAME.key)";

    /// <summary>A name is also a file name in the CA directory: no separators, no hidden files, no options.</summary>
    public static bool IsValidName(string name) =>
        name.Length is >= 1 and <= 64 && name[0] is not ('.' or '-')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>
    /// A DNS name as a SAN may hold it (RFC 5280 4.2.1.6, RFC 1123 labels): letters, digits and hyphens in
    /// labels of 1-63, total at most 253; a leading <c>*.</c> wildcard is allowed (RFC 6125 6.4.3).
    /// </summary>
    public static bool IsValidDnsName(string name)
    {
        var rest = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
        return rest.Length is >= 1 and <= 253 && rest.Split('.').All(label =>
            label.Length is >= 1 and <= 63 && label[0] != '-' && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }
}

/// <summary>What an issued certificate is for.</summary>
internal enum CertificateRole
{
    /// <summary>A TLS server: serverAuth EKU (RFC 5280 4.2.1.12), DNS and IP SANs.</summary>
    Server,

    /// <summary>A TLS client: clientAuth EKU.</summary>
    Client,
}
