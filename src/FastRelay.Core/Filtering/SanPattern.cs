namespace FastRelay.Filtering;

/// <summary>
/// One <c>--allow-san</c> entry: <c>DNS:*.corp.example</c>, <c>URI:spiffe://corp/*</c>, <c>IP:10.1.*</c>, or a
/// bare pattern that any SAN of any kind may match. <c>*</c> matches any run of characters; in DNS names it
/// stays within one label (RFC 6125 section 6.4.3). DNS and IP compare case-insensitively, URIs exactly.
/// Immutable and thread-safe.
/// </summary>
internal sealed class SanPattern
{
    /// <summary>What an entry looks like, for error messages.</summary>
    public const string Expected = "expected a SAN pattern: DNS:NAME, URI:URI, IP:ADDRESS, or a bare pattern for any kind; * wildcards allowed";

    private readonly string _pattern;
    private readonly char _kind; // 'D', 'U', 'I', or '*' for any.

    private SanPattern(char kind, string pattern, string text)
    {
        _kind = kind;
        _pattern = pattern;
        Text = text;
    }

    /// <summary>The entry as the user wrote it.</summary>
    public string Text { get; }

    /// <summary>Parses an entry; false when it is empty or has an empty value after its prefix.</summary>
    public static bool TryParse(string text, out SanPattern? pattern)
    {
        text = text.Trim();
        var (kind, prefix) = text switch
        {
            _ when text.StartsWith("DNS:", StringComparison.OrdinalIgnoreCase) => ('D', 4),
            _ when text.StartsWith("URI:", StringComparison.OrdinalIgnoreCase) => ('U', 4),
            _ when text.StartsWith("IP:", StringComparison.OrdinalIgnoreCase) => ('I', 3),
            _ => ('*', 0),
        };
        var value = text[prefix..];
        pattern = value.Length > 0 && (kind != 'I' || IsIpPattern(value)) ? new SanPattern(kind, value, text) : null;
        return pattern is not null;
    }

    // An address, or one with * wildcards (10.1.*): an IP SAN pattern that could never match is a typo to report.
    private static bool IsIpPattern(string value) =>
        value.Contains('*', StringComparison.Ordinal)
            ? value.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '*')
            : AddressSyntax.TryParseAddress(value, out _);

    /// <summary>True when a SAN of <paramref name="identity"/> of this entry's kind matches. Allocation-free.</summary>
    public bool Matches(ClientIdentity identity) =>
        (_kind is 'D' or '*' && Any(identity.DnsNames, ignoreCase: true, stopAtDot: true))
        || (_kind is 'U' or '*' && Any(identity.Uris, ignoreCase: false, stopAtDot: false))
        || (_kind is 'I' or '*' && Any(identity.IpAddresses, ignoreCase: true, stopAtDot: false));

    /// <inheritdoc />
    public override string ToString() => Text;

    private bool Any(ReadOnlySpan<string> values, bool ignoreCase, bool stopAtDot)
    {
        foreach (var value in values)
        {
            if (Glob.Matches(_pattern, value, ignoreCase, stopAtDot))
            {
                return true;
            }
        }

        return false;
    }
}
