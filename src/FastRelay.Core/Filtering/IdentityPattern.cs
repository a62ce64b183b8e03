namespace FastRelay.Filtering;

/// <summary>
/// One client-certificate match of a rule's <c>Identity</c>: <c>CN=api-*</c>, <c>SAN:DNS=*.corp.example</c>,
/// <c>SAN:URI=spiffe://corp/ns/prod/*</c>. <c>*</c> matches any run of characters (none included), except
/// that in DNS names it does not cross a dot, as in RFC 6125 section 6.4.3. Immutable and thread-safe.
/// </summary>
internal sealed class IdentityPattern
{
    private IdentityPattern(IdentityKind kind, string pattern, string text)
    {
        Kind = kind;
        Pattern = pattern;
        Text = text;
    }

    /// <summary>The certificate field matched.</summary>
    public IdentityKind Kind { get; }

    /// <summary>The pattern after the <c>=</c>, with <c>*</c> wildcards.</summary>
    public string Pattern { get; }

    /// <summary>The pattern as the user wrote it.</summary>
    public string Text { get; }

    /// <summary>Parses <c>CN=…</c>, <c>SAN:DNS=…</c> or <c>SAN:URI=…</c> (prefixes case-insensitive).</summary>
    public static bool TryParse(string text, out IdentityPattern? pattern)
    {
        pattern = TrySplit(text, out var kind, out var value) ? new IdentityPattern(kind, value, text.Trim()) : null;
        return pattern is not null;
    }

    /// <summary>True when <paramref name="identity"/> has a field of this kind that matches. Allocation-free.</summary>
    public bool Matches(ClientIdentity identity) => Kind switch
    {
        IdentityKind.CommonName => identity.CommonName is { } cn && Glob.Matches(Pattern, cn, ignoreCase: true, stopAtDot: false),
        IdentityKind.DnsName => AnyMatches(identity.DnsNames, ignoreCase: true, stopAtDot: true),
        _ => AnyMatches(identity.Uris, ignoreCase: false, stopAtDot: false),
    };

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Splits <c>KIND=VALUE</c>; false when the prefix is unknown or the value empty.</summary>
    internal static bool TrySplit(string text, out IdentityKind kind, out string value)
    {
        text = text.Trim();
        (kind, var prefix) = text switch
        {
            _ when text.StartsWith("CN=", StringComparison.OrdinalIgnoreCase) => (IdentityKind.CommonName, 3),
            _ when text.StartsWith("SAN:DNS=", StringComparison.OrdinalIgnoreCase) => (IdentityKind.DnsName, 8),
            _ when text.StartsWith("SAN:URI=", StringComparison.OrdinalIgnoreCase) => (IdentityKind.Uri, 8),
            _ => (IdentityKind.CommonName, 0),
        };
        value = prefix == 0 ? "" : text[prefix..];
        return value.Length > 0;
    }

    private bool AnyMatches(ReadOnlySpan<string> values, bool ignoreCase, bool stopAtDot)
    {
        foreach (var value in values)
        {
            if (Glob.Matches(Pattern, value, ignoreCase, stopAtDot))
            {
                return true;
            }
        }

        return false;
    }
}
