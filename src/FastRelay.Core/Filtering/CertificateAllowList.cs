namespace FastRelay.Filtering;

/// <summary>
/// The <c>--allow-cn</c> and <c>--allow-san</c> lists: after the chain validates, a client certificate must
/// also match one entry of either list (when any is given). Pure and thread-safe.
/// </summary>
internal sealed class CertificateAllowList
{
    private readonly string[] _commonNames;
    private readonly SanPattern[] _sans;

    /// <summary>Creates the lists; entries must have been validated (TlsReader does that at start).</summary>
    public CertificateAllowList(IEnumerable<string> commonNames, IEnumerable<string> sans)
    {
        _commonNames = [.. commonNames];
        _sans = [.. sans.Select(s => SanPattern.TryParse(s, out var p) ? p! : throw new ArgumentException($"bad --allow-san '{s}'", nameof(sans)))];
    }

    /// <summary>True when neither list was given: every certificate that validates is allowed.</summary>
    public bool IsEmpty => _commonNames.Length == 0 && _sans.Length == 0;

    /// <summary>True when <paramref name="identity"/> matches an entry (or there are none). CNs compare case-insensitively.</summary>
    public bool Allows(ClientIdentity identity)
    {
        if (IsEmpty)
        {
            return true;
        }

        if (identity.CommonName is { } cn)
        {
            foreach (var pattern in _commonNames)
            {
                if (Glob.Matches(pattern, cn, ignoreCase: true, stopAtDot: false))
                {
                    return true;
                }
            }
        }

        foreach (var san in _sans)
        {
            if (san.Matches(identity))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The lists in words, for the rejection reason ("not in --allow-cn desk-*, --allow-san URI:spiffe://corp/*").</summary>
    public override string ToString() =>
        string.Join(", ", _commonNames.Select(c => $"--allow-cn {c}").Concat(_sans.Select(s => $"--allow-san {s}")));
}
