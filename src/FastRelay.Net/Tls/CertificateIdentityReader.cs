using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastRelay.Filtering;

namespace FastRelay.Tls;

/// <summary>Reads a client certificate's identity: subject CN and the DNS, URI and IP subject alternative names.</summary>
internal static class CertificateIdentityReader
{
    private const string CommonNameOid = "2.5.4.3";
    private const string SubjectAltNameOid = "2.5.29.17";

    // GeneralName choices (RFC 5280 section 4.2.1.6).
    private static readonly Asn1Tag DnsNameTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);
    private static readonly Asn1Tag IpAddressTag = new(TagClass.ContextSpecific, 7);

    /// <summary>The identity; a malformed SAN extension yields the names read before the fault (the chain check decides validity).</summary>
    public static ClientIdentity Read(X509Certificate2 certificate)
    {
        List<string> dns = [], uris = [], ips = [];
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAltNameOid)
            {
                ReadSans(extension.RawData, dns, uris, ips);
            }
        }

        return new ClientIdentity(CommonName(certificate.SubjectName), dns, uris, ips);
    }

    /// <summary>The lower-case hex SHA-256 of the DER certificate (what audit rows and logs carry).</summary>
    public static string Sha256(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));

    private static string? CommonName(X500DistinguishedName name)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements)
            {
                if (rdn.GetSingleElementType().Value == CommonNameOid)
                {
                    return rdn.GetSingleElementValue();
                }
            }
            else if (CommonNameIn(rdn.RawData) is { } commonName)
            {
                return commonName; // A multi-valued RDN (CN=desk-7+UID=123): .NET has no accessor for its elements.
            }
        }

        return null;
    }

    // RFC 5280: RelativeDistinguishedName ::= SET OF AttributeTypeAndValue { type OID, value DirectoryString }.
    private static string? CommonNameIn(ReadOnlyMemory<byte> rdn)
    {
        var set = new AsnReader(rdn, AsnEncodingRules.DER).ReadSetOf(skipSortOrderValidation: true);
        while (set.HasData)
        {
            var pair = set.ReadSequence();
            if (pair.ReadObjectIdentifier() == CommonNameOid && pair.PeekTag() is { TagClass: TagClass.Universal } tag
                && (UniversalTagNumber)tag.TagValue is UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString
                    or UniversalTagNumber.IA5String or UniversalTagNumber.BMPString or UniversalTagNumber.T61String
                    or UniversalTagNumber.UniversalString or UniversalTagNumber.VisibleString)
            {
                return pair.ReadCharacterString((UniversalTagNumber)tag.TagValue);
            }
        }

        return null;
    }

    private static void ReadSans(byte[] der, List<string> dns, List<string> uris, List<string> ips)
    {
        try
        {
            var names = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(DnsNameTag))
                {
                    dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, DnsNameTag));
                }
                else if (tag.HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else if (tag.HasSameClassAndValue(IpAddressTag))
                {
                    var bytes = names.ReadOctetString(IpAddressTag);
                    if (bytes.Length is 4 or 16)
                    {
                        ips.Add(new IPAddress(bytes).ToString());
                    }
                }
                else
                {
                    names.ReadEncodedValue(); // Other name forms (email, directory name, …) are not identities here.
                }
            }
        }
        catch (AsnContentException)
        {
            // Keep what was read: the certificate already passed chain validation, which parsed the extension.
        }
    }
}
